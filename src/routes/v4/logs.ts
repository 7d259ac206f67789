import { type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { LOG_TYPES, type LogType, logs } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { type QueryParams, dateFilter, enumValue, exact, intValue, orderFilter, stringValue, valueList } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { adminsOnly, leadVisible } from "./access";
import { countedByJob, firstLines, type JobPage, jobFilter, jobPage, jobsLeads, linesLeads, namesLeads, TRAIL_KINDS } from "./processr-job-leads";

// GET /api/v4/logs: Processr logs (type=processr) and provider logs (type=provider), the two log
// tabs of the Lead Data dialog. Provider logs hold the client's CRM URLs, credentials and answers,
// and a log's context the jobs' scores and rules: admins only. Publisher users see the Processr
// logs of their own leads, without context.
type Row = typeof logs.$inferSelect;

function providerResult(r: Row): string | null {
  if (r.type !== "provider") return null;
  const response = r.context?.response;
  const body = typeof response === "object" && response !== null && "body" in response ? response.body : null;
  return typeof body === "string" ? body : null;
}

// A row of its own may have no lead (a provider test call): the conditions on the lead let those through.
/** Lines by id: a trail's through its lead; a row of its own is the first at or after its id too. */
const byIds = (ids: SQL) => sql`${logs.id} IN ${ids} AND (${logs.leadId} IN (${linesLeads(ids)}) OR ${logs.leadId} IS NULL)`;
const TYPE = exact("type", logs.type, enumValue(LOG_TYPES));
const ID = exact("id", byIds, intValue);
const LEAD = exact("lead.id", logs.leadId, intValue);

/** A page of a job's logs read by the walk (JobPage): the types the caller sees and asked for. */
function logsPage(q: QueryParams, ctx: Ctx) {
  const page = jobPage(q, JOB_FILTERS, /^type(\[\d{0,9}\])?$/);
  const asked = (TYPE.values?.(q) ?? LOG_TYPES) as LogType[];
  return page && { ...page, types: ctx.isAdmin ? asked : asked.filter((t) => t === "processr") };
}

/**
 * The lines of jobs: for a page read by the walk (the caller known), the page's lines and those of
 * the pages before it (firstLines: every run's job lines, cleared results' too, and the jobs' rows
 * of their own); else every line among the leads of the jobs' campaigns.
 */
function byJobs(jobs: SQL, q: QueryParams, ctx: Ctx | undefined): SQL {
  const page = ctx && logsPage(q, ctx);
  if (!page) {
    return sql`${logs.campaignProcessrJobId} IN ${jobs}${namesLeads(q, [ID, LEAD]) ? sql`` : sql` AND (${logs.leadId} IN ${jobsLeads(jobs)} OR ${logs.leadId} IS NULL)`}`;
  }
  const types = valueList(page.types);
  const lines = page.types.includes("processr") ? leadVisible(ctx, sql`r.lead_id`) : undefined;
  const visible = leadVisible(ctx, sql`o.lead_id`);
  const own = page.types.length === 0 ? undefined : (job: (column: SQL) => SQL) => sql`SELECT o.id, 0, o.id FROM log_lines o INDEXED BY log_lines_job_idx
    WHERE ${job(sql`o.campaign_processr_job_id`)} AND o.trail IS NULL AND o.type IN ${types} AND ${ctx.isAdmin ? sql`(o.lead_id IS NULL OR ${visible})` : visible}`;
  return sql`${logs.campaignProcessrJobId} IN ${jobs} AND ${byIds(firstLines(page, logsTotal(ctx, page), lines, { ctx, kinds: TRAIL_KINDS }, own))}`;
}

/** The kinds of processr_job_counts that a job's lines of `type` are. */
const LOG_KINDS = new Map<LogType, string[]>([
  ["processr", ["log:processr", ...TRAIL_KINDS]],
  ["provider", ["log:provider"]],
]);

const logsTotal = (ctx: Ctx, page: JobPage & { types: LogType[] }) => countedByJob(ctx, page.jobs, page.types.flatMap((t) => LOG_KINDS.get(t) ?? []));

// Declared once: logsPage reads the values of both.
const JOB_FILTERS = ["campaignProcessrJob.id", "campaignProcessrJob"].map((p) => jobFilter(p, byJobs));

export const logResource = defineResource<Row>({
  type: "Log",
  path: "logs",
  title: "Log",
  description: "A Processr task or provider (integration/enrichment) call, in time order.",
  // A view (log_lines and the lines of each Processr run's trail, src/processr/trail.ts), read like a table.
  table: logs as unknown as SQLiteTable,
  id: logs.id,
  idWhere: (id) => byIds(sql`(SELECT ${id} AS value)`),
  fields: {
    id: field("integer", (r) => r.id),
    type: field("string", (r) => r.type, { description: "processr or provider" }),
    lead: field({ link: "Lead" }, (r) => (r.leadId === null ? null : iri("leads", r.leadId))),
    campaign: field({ link: "Campaign" }, (r) => (r.campaignId === null ? null : iri("campaigns", r.campaignId))),
    campaignProcessrJob: field({ link: "CampaignProcessrJob" }, (r) =>
      r.campaignProcessrJobId === null ? null : iri("campaign-processr-jobs", r.campaignProcessrJobId)),
    level: field("string", (r) => r.level),
    message: field("string", (r) => r.message),
    context: field("json", (r) => r.context ?? null, adminsOnly("Structured detail: provider request and response, job score and rules, duration")),
    // Convoso Connect's Logs "Result" column: what the vendor answered; null when it did not answer.
    result: field("string", providerResult, adminsOnly("Provider logs: the response body the call received (as logged, up to 4 KiB); null without a response and for Processr logs")),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
  },
  filters: [
    ID,
    TYPE,
    LEAD,
    exact("campaign.id", logs.campaignId, intValue),
    // An integration's Logs tab: the calls of one job.
    ...JOB_FILTERS,
    exact("level", logs.level, stringValue),
    orderFilter({ id: logs.id, createdTs: logs.createdTs }),
    dateFilter("createdTs", logs.createdTs),
  ],
  // Admins also see logs that belong to no lead (e.g. a provider test call); others only their leads'.
  base: (ctx) => (ctx.isAdmin ? sql`(${logs.leadId} IS NULL OR ${leadVisible(ctx, logs.leadId)})` : leadVisible(ctx, logs.leadId)),
  scope: () => sql`${logs.type} = ${"processr" satisfies LogType}`,
  // A job's lines by type, counted as they are written (processr_job_counts).
  total: (ctx, q) => {
    const page = logsPage(q, ctx);
    return page && logsTotal(ctx, page);
  },
});
