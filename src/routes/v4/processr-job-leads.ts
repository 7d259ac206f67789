import { type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { backfillDone } from "../../db/backfills";
import { JOB_RESULT_STATUSES, type JobResultStatus, processrJobLeads } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { type Filter, enumValue, exact, intValue, orderFilter, paging, type QueryParams, valueList } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { IS_JOB_LINE, LINE_CLEARED, LINE_ID, LINE_JOB, LINE_STATUS, logLineLead, RUN_LATEST, TRAIL_LINES } from "../../processr/trail";
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

/**
 * Whether the request names its leads or lines (`lead.id`, `id`: `filters`): they are then found
 * through their leads' rows (log_lines_lead_idx), and the condition on the job's campaigns' leads
 * would only make SQLite list every one of them first (0.2-1 s at 100,000 leads, growing with them).
 */
export const namesLeads = (q: QueryParams, filters: Filter[]) => filters.some((f) => f.values?.(q) !== undefined);

/** The lead of each trail line id in `ids` (a list subquery): see logLineLead. */
export const linesLeads = (ids: SQL) => sql`SELECT ${logLineLead(sql`i.value`)} FROM ${ids} i`;

/** Results by id: a trail's through its lead, a row of job_results through its id. */
const byIds = (ids: SQL) =>
  sql`${processrJobLeads.id} IN ${ids} AND ${processrJobLeads.leadId} IN (${linesLeads(ids)} UNION ALL SELECT lead_id FROM job_results WHERE id IN ${ids})`;

/**
 * A page by job that need not read every result of the job: the request filters by jobs and
 * otherwise only by the parameters `others` allows, and orders by id alone. `take`: how many
 * results, in that order, the page and every page before it hold (the page's own offset).
 */
export interface JobPage {
  jobs: number[];
  desc: boolean;
  take: number;
}

const PAGE_PARAMS = /^(page|itemsPerPage|order\[id\])$/;

export function jobPage(q: QueryParams, jobFilters: Filter[], others: RegExp): JobPage | undefined {
  // The counts and bounds hold every line only once their backfill is done (src/db/backfills.ts).
  if (!backfillDone("jobCounts")) return undefined;
  const properties = jobFilters.flatMap((f) => f.mappings.map((m) => m.property));
  const byJob = (key: string) => properties.some((p) => key === p || (key.startsWith(p) && /^\[\d{0,9}\]$/.test(key.slice(p.length))));
  if (!q.entries.every(([key]) => PAGE_PARAMS.test(key) || others.test(key) || byJob(key))) return undefined;
  // Two job filters at once are two conditions (both must hold): left to the general path.
  const used = jobFilters.map((f) => f.values?.(q)).filter((v) => v !== undefined);
  if (used.length !== 1) return undefined;
  const jobs = used[0]!.map(Number);
  const { page, itemsPerPage } = paging(q);
  return { jobs, desc: q.all("order[id]")[0]?.toLowerCase() === "desc", take: page * itemsPerPage };
}

/**
 * The ids (as `value`) of the first `take` trail lines of the page's jobs and rows of their own,
 * in id order, among the lines `lines` (SQL over run `r` and line `l`) and the rows `own` gives
 * (id, 0, id) for a condition on their job: the first campaign's runs are walked in id order
 * (log_lines_campaign_trail_idx) and merged with the other campaigns' (a job moved: those are
 * sorted), the first job's rows of their own likewise with the other jobs', so a page reads
 * about as many rows as it and the pages before it hold, however many results the job has.
 * `total`: how many lines there are (the request's count). `trail`: the caller and the kinds of
 * processr_job_counts its trail lines are: only the runs between the first and the last that can
 * hold one (their rows' first_run and last_run) are read, none when there are none (an
 * integration's), so a job added to a campaign late, or a status seen in a few runs, starts and
 * stops at its lines instead of at the campaign's first and last run.
 */
export function firstLines(page: JobPage, total: SQL, lines: SQL | undefined, trail: { ctx: Ctx; kinds: string[] }, own?: (job: (column: SQL) => SQL) => SQL): SQL {
  const jobs = valueList(page.jobs);
  const firstJob = sql`(SELECT min(value) FROM ${jobs})`;
  // Kinds as literals (known names, no bound values: the statement holds this three times, under
  // D1's 100 bound values); a row without bounds (null: unknown) bounds nothing.
  const kinds = sql.raw(trail.kinds.filter((k) => TRAIL_KINDS.includes(k)).map((k) => `'${k}'`).join(", "));
  const counted = sql`FROM processr_job_counts WHERE campaign_processr_job_id IN ${jobs} AND kind IN (${kinds}) AND n > 0${
    trail.ctx.isAdmin ? sql`` : sql` AND publisher_id = ${trail.ctx.publisherId}`}`;
  const from = sql`(SELECT iif(count(*) = count(first_run), min(first_run), 0) ${counted})`;
  const to = sql`(SELECT iif(count(*) = count(last_run), max(last_run), 9223372036854775807) ${counted})`;
  // The campaigns whose runs are walked (between the bounds: none without trail lines to find).
  const first = sql`(SELECT min(c.campaign_id) FROM campaign_processr_job_campaigns c WHERE c.campaign_processr_job_id IN ${jobs})`;
  // The others in the IN list itself: a condition beside it would be tested on each of the first's rows.
  const others = sql`SELECT c.campaign_id FROM campaign_processr_job_campaigns c WHERE c.campaign_processr_job_id IN ${jobs} AND c.campaign_id > ${first}`;
  const runs = (index: string, campaign: SQL) =>
    sql`SELECT r.id AS run, l.key AS line, ${sql.raw(LINE_ID("r"))} AS id FROM log_lines r ${sql.raw(index)}, ${sql.raw(TRAIL_LINES("r"))} l
      WHERE ${campaign} AND r.id BETWEEN ${from} AND ${to} AND r.trail IS NOT NULL AND ${sql.raw(IS_JOB_LINE)} AND ${sql.raw(LINE_JOB)} IN ${jobs} AND ${lines}`;
  const arms = [
    ...(lines ? [
      runs("INDEXED BY log_lines_campaign_trail_idx", sql`r.campaign_id = ${first}`),
      runs("INDEXED BY log_lines_campaign_trail_idx", sql`r.campaign_id IN (${others})`),
    ] : []),
    ...(own ? [own((c) => sql`${c} = ${firstJob}`), own((c) => sql`${c} IN (SELECT value FROM ${jobs} WHERE value > ${firstJob})`)] : []),
  ];
  if (arms.length === 0) return sql`(SELECT NULL AS value WHERE 0)`;
  const dir = sql.raw(page.desc ? "DESC" : "ASC");
  // No further than the request's count of them (`total`): a walk whose lines are all found ends
  // there, instead of reading the rest of the campaign's runs for none (a publisher with none).
  return sql`(SELECT id AS value FROM (${sql.join(arms, sql` UNION ALL `)} ORDER BY 1 ${dir}, 2 ${dir} LIMIT min(${page.take}, (${total}))))`;
}

/** The kinds of processr_job_counts that are a trail's job lines (none are an integration's). */
export const TRAIL_KINDS = ["trail:other", ...JOB_RESULT_STATUSES.map((s) => `trail:${s}`)];

/** hydra:totalItems of a job's results or logs from processr_job_counts: its `kinds`, on the caller's visible leads. */
export const countedByJob = (ctx: Ctx, jobs: number[], kinds: string[]) =>
  sql`SELECT coalesce(sum(n), 0) AS n FROM processr_job_counts WHERE campaign_processr_job_id IN ${valueList(jobs)} AND kind IN ${valueList(kinds)}${
    ctx.isAdmin ? sql`` : sql` AND publisher_id = ${ctx.publisherId}`}`;

/**
 * A filter by job (`property=id`, `property[]=id`) whose condition `byJobs` is given the jobs (a
 * list subquery), the request and the caller: exact's parsing and mappings, its own condition.
 */
export function jobFilter(property: string, byJobs: (jobs: SQL, q: QueryParams, ctx: Ctx | undefined) => SQL): Filter {
  const { mappings, values } = exact(property, sql`NULL`, intValue);
  return { mappings, values, where: (q, ctx) => { const v = values?.(q); return v && byJobs(valueList(v), q, ctx); } };
}

const STATUS = exact("status", processrJobLeads.status, enumValue(JOB_RESULT_STATUSES));
const ID = exact("id", byIds, intValue);
const LEAD = exact("lead.id", processrJobLeads.leadId, intValue);

const JOB = jobFilter("campaignProcessrJob.id", byJobs);

/** A page of a job's results (see JobPage): its statuses when filtered by status. */
function resultsPage(q: QueryParams) {
  const page = jobPage(q, [JOB], /^status(\[\d{0,9}\])?$/);
  return page && { ...page, statuses: (STATUS.values?.(q) ?? JOB_RESULT_STATUSES) as JobResultStatus[] };
}

const resultsTotal = (ctx: Ctx, page: JobPage & { statuses: JobResultStatus[] }) =>
  countedByJob(ctx, page.jobs, page.statuses.flatMap((s) => [`trail:${s}`, `result:${s}`]));

/**
 * The condition of a job's results: for a page read by the walk (the caller known), the page's
 * results and those of the pages before it (firstLines); else every result of the job's campaigns' leads.
 */
function byJobs(jobs: SQL, q: QueryParams, ctx: Ctx | undefined): SQL {
  const page = ctx && resultsPage(q);
  if (!page) return sql`${processrJobLeads.campaignProcessrJobId} IN ${jobs}${namesLeads(q, [ID, LEAD]) ? sql`` : sql` AND ${processrJobLeads.leadId} IN ${jobsLeads(jobs)}`}`;
  const statuses = valueList(page.statuses);
  const lines = sql`${sql.raw(LINE_STATUS)} IN ${statuses} AND NOT ${sql.raw(LINE_CLEARED("r"))} AND ${sql.raw(RUN_LATEST("r"))} AND ${leadVisible(ctx, sql`r.lead_id`)}`;
  const own = (job: (column: SQL) => SQL) => sql`SELECT j.id, 0, j.id FROM job_results j INDEXED BY job_results_job_idx
    WHERE ${job(sql`j.campaign_processr_job_id`)} AND j.status IN ${statuses} AND ${leadVisible(ctx, sql`j.lead_id`)}`;
  const trail = { ctx, kinds: page.statuses.map((s) => `trail:${s}`) };
  return sql`${processrJobLeads.campaignProcessrJobId} IN ${jobs} AND ${byIds(firstLines(page, resultsTotal(ctx, page), lines, trail, own))}`;
}

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
    ID,
    LEAD,
    JOB,
    STATUS,
    orderFilter({ id: processrJobLeads.id, startedTs: processrJobLeads.startedTs }),
  ],
  base: (ctx) => leadVisible(ctx, processrJobLeads.leadId),
  scope: () => undefined,
  // A job's results by status, counted as they are written (processr_job_counts).
  total: (ctx, q) => {
    const page = resultsPage(q);
    return page && resultsTotal(ctx, page);
  },
});
