import { Box, Button, Typography } from "@mui/material";
import { Fragment, useState } from "react";
import {
  DateField, DateInput, Datagrid, FilterButton, FunctionField, List, NumberField, ReferenceField, ReferenceInput, SelectInput,
  TextField, TextInput, TopToolbar,
} from "react-admin";
import { MatchingLeadsActions, SelectedLeadsActions } from "./bulk/LeadBulkActions";
import { FlagChip } from "./FlagChip";
import { LeadDialog } from "./LeadDialog";
import { LeadExportButton } from "./LeadExportButton";
import { isAdmin } from "./role";
import { FLAGS, type LeadRecord, leadName, PROCESSR_STATUSES } from "./types";

// Leads, paged, filtered and ordered by the API: flag, publisher, created date range (UTC), email
// (exact) and id; all leads, or one campaign's (Campaign > Leads). "View" opens the Lead Data dialog.
// Admins select rows (or take every lead of the filter) for the bulk operations (./bulk).

/**
 * An email that may wrap after its "@" and its dots, and nowhere else: a long address otherwise
 * widens the table past a 1280-pixel window, pushing the View buttons off screen.
 */
function EmailBreakable({ email }: { email: string | null }) {
  if (!email) return <>—</>;
  return <>{email.split(/(?<=[@.])/).map((part, i) => <Fragment key={i}>{i > 0 && <wbr />}{part}</Fragment>)}</>;
}

/** The end of the chosen day, so that "created to" includes that day's leads. */
const endOfDay = (v: string) => (v ? `${v}T23:59:59.999Z` : v);

const FILTERS = [
  <SelectInput key="flag" source="leadFlag.id" label="Flag" choices={FLAGS} alwaysOn />,
  <ReferenceInput key="publisher" source="publisher.id" reference="publishers" alwaysOn>
    <SelectInput label="Publisher" optionText="name" optionValue="originId" />
  </ReferenceInput>,
  <DateInput key="from" source="createdTs.after" label="Created from (UTC)" alwaysOn />,
  <DateInput key="to" source="createdTs.before" label="Created to (UTC)" parse={endOfDay} alwaysOn />,
  <TextInput key="email" source="email" label="Email" />,
  <TextInput key="id" source="id" label="Lead id" />,
];
/** A publisher user sees only its own leads: it has no publisher to choose. */
const filtersFor = (admin: boolean) => (admin ? FILTERS : FILTERS.filter((f) => f.key !== "publisher"));

function Actions({ filename }: { filename: string }) {
  return (
    <TopToolbar>
      <FilterButton />
      <LeadExportButton filename={filename} />
      {isAdmin() && <MatchingLeadsActions />}
    </TopToolbar>
  );
}

/**
 * No lead at all (no filter set). react-admin's own empty page offers a Create button, which no one
 * can use here: leads arrive through the publisher API or the campaign webhook and are never typed in.
 */
function NoLeads({ campaignId }: { campaignId?: number }) {
  const where = campaignId ? "this campaign" : "your campaigns";
  return (
    <Box role="status" aria-label="No leads" sx={{ p: 4, textAlign: "center" }}>
      <Typography variant="h6" gutterBottom>No leads yet</Typography>
      <Typography color="text.secondary">
        {isAdmin()
          ? `Leads arrive from publishers through the publisher API and the campaign webhook, and appear here as they come in to ${where}.`
          : `Leads you post to ${where} through the publisher API appear here. Your API key and an example are under Tracking → API Credentials on each campaign.`}
      </Typography>
    </Box>
  );
}

interface Props {
  campaignId?: number;
  title?: string;
  /** A lead whose dialog is open from the start (the lead's own address, /leads/{iri}/show). */
  opened?: string;
  /** Called when that dialog is closed (to leave the lead's address). */
  onClosed?: () => void;
}

export function LeadList({ campaignId, title, opened, onClosed }: Props) {
  const [viewing, setViewing] = useState<string | null>(opened ?? null);
  const close = () => {
    setViewing(null);
    if (opened) onClosed?.();
  };
  const filename = campaignId ? `campaign-${campaignId}-leads` : "leads";
  return (
    <>
      <List resource="leads" title={title ?? "Leads"} filters={filtersFor(isAdmin())} sort={{ field: "id", order: "DESC" }} perPage={25}
        filter={campaignId ? { "campaign.id": campaignId } : undefined} storeKey={campaignId ? `campaign-${campaignId}.leads` : "leads"}
        actions={<Actions filename={filename} />} exporter={false} empty={<NoLeads campaignId={campaignId} />}>
        <Datagrid bulkActionButtons={isAdmin() ? <SelectedLeadsActions /> : false} rowClick={false}>
          <NumberField source="originId" label="Id" sortBy="id" options={{ useGrouping: false }} />
          <DateField source="createdTs" label="Created" showTime sortable={false} />
          <FunctionField label="Name" render={(r: LeadRecord) => leadName(r)} />
          <FunctionField label="Email" source="email" sortable={false} render={(r: LeadRecord) => <EmailBreakable email={r.email} />} />
          {!campaignId && (
            <ReferenceField source="campaign" reference="campaigns" link={false} label="Campaign" sortable={false}>
              <TextField source="name" />
            </ReferenceField>
          )}
          <ReferenceField source="publisher" reference="publishers" link={false} label="Publisher" sortable={false}>
            <TextField source="name" />
          </ReferenceField>
          <FunctionField label="Flag" render={(r: LeadRecord) => <FlagChip flag={r.leadFlag} />} />
          <FunctionField label="Score" render={(r: LeadRecord) => `${r.score}/${r.maxScore}`} />
          <FunctionField label="Processr" render={(r: LeadRecord) => PROCESSR_STATUSES.get(r.processrStatus) ?? r.processrStatus} />
          <FunctionField label="Actions" render={(r: LeadRecord) => (
            <Button size="small" variant="outlined" onClick={() => setViewing(r.id)}>View</Button>
          )} />
        </Datagrid>
      </List>
      {viewing && <LeadDialog leadId={viewing} onClose={close} />}
    </>
  );
}
