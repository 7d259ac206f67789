import { Box } from "@mui/material";
import { DateField, ReferenceField, TextField, useRecordContext } from "react-admin";
import { LeadTable } from "./LeadTable";
import type { LeadRecord, LogRecord } from "./types";

// Processr logs (each job's task, in time order) and provider logs (each call to an enrichment or
// integration provider, its message as the API gave it; the request and response on expanding a
// row). Provider logs and every log's context are for admins only.

function LogContext() {
  const log = useRecordContext<LogRecord>();
  return (
    <Box component="pre" sx={{ m: 0, p: 1, fontSize: 12, whiteSpace: "pre-wrap", wordBreak: "break-all", bgcolor: "action.hover" }}>
      {JSON.stringify(log?.context ?? null, null, 2)}
    </Box>
  );
}

export function LogsTab({ lead, type, admin }: { lead: LeadRecord; type: "processr" | "provider"; admin: boolean }) {
  return (
    <LeadTable resource="logs" filter={{ "lead.id": lead.originId, type }} empty={`No ${type} logs for this lead.`}
      expand={admin ? <LogContext /> : undefined} isRowExpandable={(r: LogRecord) => r.context != null}>
      <DateField source="createdTs" label="Time" showTime sortable={false} />
      <TextField source="level" sortable={false} />
      <ReferenceField source="campaignProcessrJob" reference="campaign-processr-jobs" link={false} label="Job" sortable={false} emptyText="—">
        <TextField source="label" />
      </ReferenceField>
      <TextField source="message" label="Message" sortable={false} />
    </LeadTable>
  );
}
