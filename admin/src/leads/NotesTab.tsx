import { DateField, FunctionField, TextField } from "react-admin";
import { LeadTable, LONG_TEXT } from "./LeadTable";
import type { LeadNoteRecord, LeadRecord } from "./types";

/** Status, delivery and data changes of the lead, newest first (GET /api/v4/lead-notes). */
export function NotesTab({ lead }: { lead: LeadRecord }) {
  return (
    <LeadTable resource="lead-notes" filter={{ "lead.id": lead.originId }} sort={{ field: "id", order: "DESC" }} empty="No notes yet.">
      <DateField source="createdTs" label="Time" showTime sortable={false} />
      <TextField source="author" emptyText="system" sortable={false} />
      <TextField source="note" sortable={false} sx={LONG_TEXT} />
      <FunctionField label="Flag" render={(n: LeadNoteRecord) => (n.fromFlag || n.toFlag ? `${n.fromFlag ?? "—"} → ${n.toFlag ?? "—"}` : "")} />
      <TextField source="reason" emptyText="" sortable={false} sx={LONG_TEXT} />
    </LeadTable>
  );
}
