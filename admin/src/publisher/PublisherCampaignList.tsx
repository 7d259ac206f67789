import {
  ChipField, Datagrid, DateField, ExportButton, List, NumberField, SelectInput, TextField, TextInput, TopToolbar,
} from "react-admin";
import { CAMPAIGN_STATUSES } from "../campaigns/status";
import { CampaignLeadsButton } from "../leads/CampaignLeadsButton";
import { TrackingButton } from "./TrackingButton";

// A publisher user's campaigns (the API lists only those it is on), with its own lead figures and
// the Tracking action; nothing to create, and none of the client's advertiser, contract or revenue columns.
const filters = [
  <TextInput key="idName" source="idName" label="Search (id or name)" alwaysOn />,
  <SelectInput key="status" source="status" label="Status" choices={CAMPAIGN_STATUSES.map((s) => ({ id: s, name: s }))} alwaysOn />,
];

export function PublisherCampaignList() {
  return (
    <List filters={filters} actions={<TopToolbar><ExportButton /></TopToolbar>} sort={{ field: "id", order: "DESC" }} perPage={25}>
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <NumberField source="originId" label="Id" sortBy="id" options={{ useGrouping: false }} />
        <TextField source="name" />
        <ChipField source="status" sortable={false} />
        <DateField source="startTs" label="Start" />
        <DateField source="endTs" label="End" />
        <NumberField source="statistics.totalLeads" label="My leads" sortable={false} />
        <NumberField source="statistics.validLeads" label="Valid" sortable={false} />
        <NumberField source="statistics.invalidLeads" label="Invalid" sortable={false} />
        <CampaignLeadsButton />
        <TrackingButton />
      </Datagrid>
    </List>
  );
}
