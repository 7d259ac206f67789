import { DateField, TextField } from "react-admin";
import { LeadTable, LONG_TEXT } from "./LeadTable";
import type { LeadRecord } from "./types";

/** Every value captured with the lead, plus those added or set later (GET /api/v4/lead-datas). */
export function ProfileTab({ lead }: { lead: LeadRecord }) {
  return (
    <LeadTable resource="lead-datas" filter={{ "lead.id": lead.originId }} empty="No values captured.">
      <TextField source="name" label="Field" sortable={false} />
      <TextField source="value" sortable={false} sx={LONG_TEXT} />
      <TextField source="type" sortable={false} />
      <DateField source="updatedTs" label="Updated" showTime sortable={false} />
    </LeadTable>
  );
}
