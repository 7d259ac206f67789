import {
  BooleanInput, DateTimeInput, Edit, NumberInput, SaveButton, SelectInput, SimpleForm, TextInput, Toolbar, required,
} from "react-admin";

// The campaign's editable settings. PUT takes only writable fields (the API refuses unknown ones),
// so the form sends exactly the fields it shows.
const EDITABLE = [
  "name", "startTs", "endTs", "leadsRequired", "contractValue", "payoutAmount", "payout", "defaultThresholdScore",
  "campaignMarket", "testMode", "integrate", "contractSigned", "notes",
] as const;

const pick = (data: Record<string, unknown>) =>
  Object.fromEntries(EDITABLE.filter((k) => Object.hasOwn(data, k)).map((k) => [k, data[k]]));

const PAYOUTS = ["CPL", "CPA", "CPC", "Fixed"].map((p) => ({ id: p, name: p }));
const MARKETS = [{ id: "b2b", name: "B2B" }, { id: "b2c", name: "B2C" }];

export function CampaignEdit() {
  return (
    <Edit mutationMode="pessimistic" transform={pick} redirect="show">
      <SimpleForm toolbar={<Toolbar><SaveButton /></Toolbar>}>
        <TextInput source="name" validate={required()} fullWidth />
        <DateTimeInput source="startTs" label="Start" />
        <DateTimeInput source="endTs" label="End" />
        <NumberInput source="leadsRequired" label="Leads required" />
        <TextInput source="contractValue" label="Contract value" />
        <SelectInput source="payout" label="Payout model" choices={PAYOUTS} />
        <TextInput source="payoutAmount" label="Payout amount" />
        <NumberInput source="defaultThresholdScore" label="Threshold score" />
        <SelectInput source="campaignMarket" label="Market" choices={MARKETS} />
        <BooleanInput source="testMode" label="Test mode" />
        <BooleanInput source="integrate" label="Deliver to integrations" />
        <BooleanInput source="contractSigned" label="Contract signed" />
        <TextInput source="notes" multiline fullWidth />
      </SimpleForm>
    </Edit>
  );
}
