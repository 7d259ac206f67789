import {
  ChipField, DatagridConfigurable, DateField, FunctionField, List, NumberField, SelectInput, TextField, TextInput,
} from "react-admin";
import { CAMPAIGN_STATUSES } from "./status";

// Campaigns, paged, filtered and ordered by the API (its hydra:search filters): search by id or
// name, status, advertiser name; every sortable column maps to an order[] filter of the API.
const filters = [
  <TextInput key="idName" source="idName" label="Search (id or name)" alwaysOn />,
  <SelectInput key="status" source="status" label="Status" choices={CAMPAIGN_STATUSES.map((s) => ({ id: s, name: s }))} alwaysOn />,
  <TextInput key="advertiser" source="advertiser.name" label="Advertiser" />,
];

export function CampaignList() {
  return (
    <List filters={filters} sort={{ field: "id", order: "DESC" }} perPage={25}>
      <DatagridConfigurable rowClick="show" bulkActionButtons={false}>
        <NumberField source="originId" label="Id" sortBy="id" />
        <TextField source="name" />
        <ChipField source="status" sortable={false} />
        <TextField source="advertiser.name" label="Advertiser" sortBy="advertiser.name" />
        <DateField source="startTs" label="Start" />
        <DateField source="endTs" label="End" />
        <NumberField source="statistics.validLeads" label="Valid" />
        <NumberField source="statistics.invalidLeads" label="Invalid" />
        <NumberField source="statistics.billableLeads" label="Billable" />
        <FunctionField label="Publishers" sortBy="statistics.activePublishers"
          render={(r: { statistics?: { activePublishers?: number } }) => r.statistics?.activePublishers ?? 0} />
      </DatagridConfigurable>
    </List>
  );
}
