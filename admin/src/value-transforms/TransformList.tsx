import { BooleanField, Datagrid, FunctionField, List, NumberField, ReferenceField, ReferenceInput, SelectInput, TextField } from "react-admin";
import { describeRule, type TransformRecord } from "./rules";

// Every advertiser's value transform rules, in the order the Processr runs them.
const filters = [
  <ReferenceInput key="advertiser" source="advertiser.id" reference="advertisers" alwaysOn>
    <SelectInput label="Advertiser" optionText="name" optionValue="originId" />
  </ReferenceInput>,
  <SelectInput key="type" source="type" choices={[{ id: "Transform", name: "Transform" }, { id: "Manipulation", name: "Manipulation" }]} alwaysOn />,
];

export function TransformList() {
  return (
    <List filters={filters} perPage={25} sort={{ field: "position", order: "ASC" }}>
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <ReferenceField source="advertiser" reference="advertisers" link={false} sortable={false}><TextField source="name" /></ReferenceField>
        <NumberField source="position" />
        <TextField source="label" sortable={false} />
        <TextField source="type" sortable={false} />
        <FunctionField label="Rule" render={(r: TransformRecord) => describeRule(r)} />
        <BooleanField source="enabled" sortable={false} />
      </Datagrid>
    </List>
  );
}
