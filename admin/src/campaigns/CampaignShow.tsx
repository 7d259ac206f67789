import {
  BooleanField, ChipField, Datagrid, DateField, NumberField, ReferenceManyField, RichTextField, Show, TabbedShowLayout, TextField,
  UrlField, Pagination,
} from "react-admin";
import { CampaignShowActions } from "./CampaignActions";
import { CampaignPublishers } from "./CampaignPublishers";
import { PurchaseOrderFile } from "./PurchaseOrderFile";

// One campaign: summary and figures, contract, its publishers, forms and fields, links.
export function CampaignShow() {
  return (
    <Show actions={<CampaignShowActions />}>
      <TabbedShowLayout>
        <TabbedShowLayout.Tab label="Summary">
          <NumberField source="originId" label="Id" />
          <TextField source="name" />
          <ChipField source="status" />
          <TextField source="pauseReason" label="Pause reason" emptyText="—" />
          <TextField source="advertiser.name" label="Advertiser" />
          <DateField source="startTs" label="Start" showTime />
          <DateField source="endTs" label="End" showTime />
          <TextField source="country.name" label="Country" emptyText="—" />
          <TextField source="subcategory.name" label="Subcategory" emptyText="—" />
          <NumberField source="statistics.totalLeads" label="Leads" />
          <NumberField source="statistics.validLeads" label="Valid" />
          <NumberField source="statistics.cautionLeads" label="Caution" />
          <NumberField source="statistics.invalidLeads" label="Invalid" />
          <NumberField source="statistics.testLeads" label="Test" />
          <NumberField source="statistics.billableLeads" label="Billable" />
          <NumberField source="statistics.totalSales" label="Total sales" />
          <NumberField source="leadsRequired" label="Leads required" />
          <NumberField source="defaultThresholdScore" label="Threshold score" />
          <BooleanField source="testMode" label="Test mode" />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Contract" path="contract">
          <TextField source="currency.name" label="Currency" />
          <TextField source="contractValue" label="Contract value" />
          <TextField source="payout" label="Payout model" />
          <TextField source="payoutAmount" label="Payout amount" />
          <BooleanField source="contractSigned" label="Contract signed" />
          <TextField source="signName" label="Signed by" emptyText="—" />
          <RichTextField source="terms" emptyText="—" />
          <TextField source="purchaseOrder" label="Purchase order" emptyText="—" />
          <PurchaseOrderFile />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Publishers" path="publishers">
          <CampaignPublishers />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Forms" path="forms">
          <ReferenceManyField reference="forms" target="campaign.id" perPage={25} pagination={<Pagination />}>
            <Datagrid bulkActionButtons={false} rowClick="show">
              <NumberField source="originId" label="Id" />
              <TextField source="name" />
              <NumberField source="formFields.length" label="Fields" sortable={false} />
            </Datagrid>
          </ReferenceManyField>
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Links" path="links">
          <ReferenceManyField reference="campaign-links" target="campaign.id" perPage={25} pagination={<Pagination />}>
            <Datagrid bulkActionButtons={false} rowClick="edit">
              <TextField source="channel" />
              <TextField source="name" />
              <UrlField source="destination" />
              <BooleanField source="enabled" />
            </Datagrid>
          </ReferenceManyField>
        </TabbedShowLayout.Tab>
      </TabbedShowLayout>
    </Show>
  );
}
