import { Typography } from "@mui/material";
import { DateField, FunctionField, NumberField, ReferenceField, TextField } from "react-admin";
import { FlagChip } from "./FlagChip";
import { LeadTable } from "./LeadTable";
import type { LeadRecord } from "./types";

/** The leads captured with the same email address, on any campaign (GET /api/v4/leads?email=…). */
export function AssociatedCampaignsTab({ lead }: { lead: LeadRecord }) {
  if (!lead.email) return <Typography sx={{ p: 2 }} color="text.secondary">No email was captured, so no lead can be associated.</Typography>;
  return (
    <LeadTable resource="leads" filter={{ email: lead.email }} sort={{ field: "id", order: "DESC" }} empty="No other leads with this email.">
      <ReferenceField source="campaign" reference="campaigns" link="show" label="Campaign" sortable={false}>
        <TextField source="name" />
      </ReferenceField>
      <NumberField source="originId" label="Lead id" sortable={false} options={{ useGrouping: false }} />
      <ReferenceField source="publisher" reference="publishers" link={false} label="Publisher" sortable={false}>
        <TextField source="name" />
      </ReferenceField>
      <FunctionField label="Flag" render={(r: LeadRecord) => <FlagChip flag={r.leadFlag} />} />
      <DateField source="createdTs" label="Captured" showTime sortable={false} />
      <FunctionField label="" render={(r: LeadRecord) => (r.id === lead.id ? "this lead" : "")} />
    </LeadTable>
  );
}
