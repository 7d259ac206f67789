import {
  ChipField, DateField, NumberField, Show, TabbedShowLayout, TextField, TopToolbar, useRecordContext,
} from "react-admin";
import { CampaignLeadsButton } from "../leads/CampaignLeadsButton";
import { ApiCredentials, type CredentialsCampaign } from "./ApiCredentials";
import { TrackingButton } from "./TrackingButton";

// One campaign as its publisher sees it: dates, status, its own lead figures, and the API
// Credentials it posts leads with. No contract, advertiser or Processr: those are the client's.
function CampaignApiCredentials() {
  const campaign = useRecordContext<CredentialsCampaign>();
  return campaign ? <ApiCredentials campaign={campaign} /> : null;
}

export function PublisherCampaignShow() {
  return (
    <Show actions={<TopToolbar><CampaignLeadsButton /><TrackingButton /></TopToolbar>}>
      <TabbedShowLayout>
        <TabbedShowLayout.Tab label="Summary">
          <NumberField source="originId" label="Id" options={{ useGrouping: false }} />
          <TextField source="name" />
          <ChipField source="status" />
          <DateField source="startTs" label="Start" showTime />
          <DateField source="endTs" label="End" showTime />
          <NumberField source="statistics.totalLeads" label="My leads" />
          <NumberField source="statistics.validLeads" label="Valid" />
          <NumberField source="statistics.cautionLeads" label="Caution" />
          <NumberField source="statistics.invalidLeads" label="Invalid" />
          <NumberField source="statistics.testLeads" label="Test" />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="API Credentials" path="api-credentials">
          <CampaignApiCredentials />
        </TabbedShowLayout.Tab>
      </TabbedShowLayout>
    </Show>
  );
}
