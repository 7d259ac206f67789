import { sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { JOB_RESULT_STATUSES, processrJobLeads } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { enumValue, exact, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { logLineLead } from "../../processr/trail";
import { adminsOnly, leadVisible } from "./access";

// GET /api/v4/processr-job-leads: each Processr job's result on a lead (the Job Details tab). The
// message is for everybody; the detail (a CRM's answer to a delivery) for admins only.
type Row = typeof processrJobLeads.$inferSelect;

export const processrJobLeadResource = defineResource<Row>({
  type: "ProcessrJobLead",
  path: "processr-job-leads",
  title: "ProcessrJobLead",
  description: "The result of one campaign Processr job on one lead: passed, failed or not run.",
  // A view (job_results and the QA results of each run's trail, src/processr/trail.ts), read like a table.
  table: processrJobLeads as unknown as SQLiteTable,
  id: processrJobLeads.id,
  // A trail's result through its lead (logLineLead), a row of job_results through its id.
  idWhere: (id) =>
    sql`${processrJobLeads.id} = ${id} AND ${processrJobLeads.leadId} IN (${logLineLead(id)}, (SELECT lead_id FROM job_results WHERE id = ${id}))`,
  fields: {
    id: field("integer", (r) => r.id),
    lead: field({ link: "Lead" }, (r) => iri("leads", r.leadId)),
    campaignProcessrJob: field({ link: "CampaignProcessrJob" }, (r) => iri("campaign-processr-jobs", r.campaignProcessrJobId)),
    status: field("string", (r) => r.status, { description: "passed, failed or not_run" }),
    message: field("string", (r) => r.message),
    detail: field("string", (r) => r.detail, { ...adminsOnly("What the result says beyond its message, e.g. the client's CRM's answer"), nullable: true }),
    score: field("integer", (r) => r.score),
    startedTs: field("dateTime", (r) => isoTs(r.startedTs)),
    finishedTs: field("dateTime", (r) => isoTs(r.finishedTs)),
  },
  filters: [
    exact("id", processrJobLeads.id, intValue),
    exact("lead.id", processrJobLeads.leadId, intValue),
    exact("campaignProcessrJob.id", processrJobLeads.campaignProcessrJobId, intValue),
    exact("status", processrJobLeads.status, enumValue(JOB_RESULT_STATUSES)),
    orderFilter({ id: processrJobLeads.id, startedTs: processrJobLeads.startedTs }),
  ],
  base: (ctx) => leadVisible(ctx, processrJobLeads.leadId),
  scope: () => undefined,
});
