import { Chip } from "@mui/material";
import { DateField, FunctionField, NumberField, ReferenceField, TextField } from "react-admin";
import { LeadTable } from "./LeadTable";
import type { LeadRecord, ProcessrJobLeadRecord } from "./types";

const STATUS_COLOR = { passed: "success", failed: "error", not_run: "default" } as const;

/** Each campaign Processr job's result on the lead: passed, failed or not run, score and message. */
export function JobDetailsTab({ lead, admin }: { lead: LeadRecord; admin: boolean }) {
  return (
    <LeadTable resource="processr-job-leads" filter={{ "lead.id": lead.originId }} empty="No job has run on this lead yet.">
      {/* The job's label, as the messages quote it (for a publisher user, an integration's reads as a delivery). */}
      <ReferenceField source="campaignProcessrJob" reference="campaign-processr-jobs" link={false} label="Job" sortable={false}>
        <TextField source="label" />
      </ReferenceField>
      <FunctionField label="Status" render={(r: ProcessrJobLeadRecord) => (
        <Chip size="small" color={STATUS_COLOR[r.status]} label={r.status.replace("_", " ")} />
      )} />
      <NumberField source="score" sortable={false} />
      <TextField source="message" sortable={false} />
      {admin && <TextField source="detail" label="Detail" emptyText="—" sortable={false} />}
      <DateField source="finishedTs" label="Finished" showTime sortable={false} emptyText="—" />
    </LeadTable>
  );
}
