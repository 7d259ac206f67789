import { type SQL, sql } from "drizzle-orm";
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

/**
 * The leads the results and logs of the jobs in `jobs` (a list subquery) can be on: those of every
 * campaign the jobs have been on (campaign_processr_job_campaigns). A condition on it lets SQLite
 * read those campaigns' leads' trails (leads_campaign_idx, then log_lines_lead_idx) instead of
 * expanding every Processr trail in the database to find one job's lines.
 */
export const jobsLeads = (jobs: SQL) =>
  sql`(SELECT l.id FROM leads l WHERE l.campaign_id IN (SELECT c.campaign_id FROM campaign_processr_job_campaigns c WHERE c.campaign_processr_job_id IN ${jobs}))`;

/** The lead of each trail line id in `ids` (a list subquery): see logLineLead. */
export const linesLeads = (ids: SQL) => sql`SELECT ${logLineLead(sql`i.value`)} FROM ${ids} i`;

/** Results by id: a trail's through its lead, a row of job_results through its id. */
const byIds = (ids: SQL) =>
  sql`${processrJobLeads.id} IN ${ids} AND ${processrJobLeads.leadId} IN (${linesLeads(ids)} UNION ALL SELECT lead_id FROM job_results WHERE id IN ${ids})`;

export const processrJobLeadResource = defineResource<Row>({
  type: "ProcessrJobLead",
  path: "processr-job-leads",
  title: "ProcessrJobLead",
  description: "The result of one campaign Processr job on one lead: passed, failed or not run.",
  // A view (job_results and the QA results of each run's trail, src/processr/trail.ts), read like a table.
  table: processrJobLeads as unknown as SQLiteTable,
  id: processrJobLeads.id,
  idWhere: (id) => byIds(sql`(SELECT ${id} AS value)`),
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
    exact("id", byIds, intValue),
    exact("lead.id", processrJobLeads.leadId, intValue),
    exact("campaignProcessrJob.id", (jobs) => sql`${processrJobLeads.campaignProcessrJobId} IN ${jobs} AND ${processrJobLeads.leadId} IN ${jobsLeads(jobs)}`, intValue),
    exact("status", processrJobLeads.status, enumValue(JOB_RESULT_STATUSES)),
    orderFilter({ id: processrJobLeads.id, startedTs: processrJobLeads.startedTs }),
  ],
  base: (ctx) => leadVisible(ctx, processrJobLeads.leadId),
  scope: () => undefined,
});
