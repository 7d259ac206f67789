import { Chip } from "@mui/material";
import { Datagrid, FunctionField, List, NumberField, SelectInput, TextField, TextInput } from "react-admin";
import type { ValidationListRecord } from "./api";

// The enterprise's validation lists (suppression lists the validation_list_check job checks).

export const KINDS = [
  { id: "email", name: "Emails" },
  { id: "domain", name: "Email domains" },
  { id: "phone", name: "Telephone numbers" },
];

const filters = [
  <TextInput key="name" source="name" label="Name" alwaysOn />,
  <SelectInput key="kind" source="kind" label="Kind" choices={KINDS} alwaysOn />,
];

export const ErasureChip = () => <Chip size="small" color="warning" label="Erasure (GDPR)" />;

export function ValidationListList() {
  return (
    <List filters={filters} sort={{ field: "id", order: "ASC" }} perPage={25}>
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <TextField source="originId" label="Id" sortBy="id" />
        <TextField source="name" />
        <FunctionField label="Kind" render={(r: ValidationListRecord) => KINDS.find((k) => k.id === r.kind)?.name ?? r.kind} />
        <FunctionField label="Erasure" render={(r: ValidationListRecord) => (r.erasure ? <ErasureChip /> : "—")} />
        <NumberField source="entries" sortable={false} />
      </Datagrid>
    </List>
  );
}
