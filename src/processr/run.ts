import type { JobResultStatus } from "../db/schema";
import type { Env } from "../env";
import { integrationJobs } from "../integrations";
import { resetLeadForReprocess, setLeadProcessrStatus } from "../leads/client";
import { leadValues } from "../leads/lead-data-block";
import { type LeadRow as LeadStateRow, type LeadState, leadStatesOf, leadStateStatements } from "../leads/lead-object";
import { platformLeadData } from "../leads/platform-data";
import type { TransitionRequest } from "../leads/types";
import { createJobContext } from "./job-context";
import { applyJobGroups, JOB_GROUP_COLUMNS, JOB_GROUP_JOIN, type JobGroupColumns } from "./job-groups";
import { qaJobs } from "./jobs";
import { scoreOutcome } from "./outcome";
import { TrailBuilder, type TrailRow, trailsStatements } from "./trail";
import { applyValueTransforms, type LeadValueTransforms, valueTransformReads, valueTransformsByLead } from "./value-transforms";
import { type JobContext, type JobLead, type JobOutcome, PROCESSR_STATUS, type QaJobDefinition } from "./types";
import { memoByText } from "../lib/memo-by-text";

// One Processr run on one lead: the campaign's enabled QA jobs in position order, a result per job
// and a log line per step (one row, the run's trail: src/processr/trail.ts; a rerun's results
// replace the previous run's), the score, and the outcome applied through the lead's Durable
// Object. Integration jobs are not run here: they follow once the lead is Valid
// (src/integrations/dispatch.ts). The consumer runs
// the leads of a queue batch together (loadLeads, planRun, the lead objects' decisions, one write batch) so that
// they share their D1 round trips.
//
// Jobs that do not run on a lead are recorded as not_run (they count for neither score nor
// maxScore): disabled jobs, every job after a hardfail job failed (the outcome is Invalid
// whatever follows), and the members of a job group other than the one chosen for the lead
// (src/processr/job-groups.ts). A lead over its publisher's allocation on a campaign that holds
// over-delivery is put On Hold - Publisher Over Delivery (510) instead of being run.
//
// Idempotent under redelivery: a lead that is complete, on hold or failed is left alone (only a
// reprocess, which resets it through the lead object first, runs it again), and the lead object
// ignores a second Processr outcome for a complete lead.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Registry = Record<string, QaJobDefinition<any>>;

export interface RunOptions {
  /** QA job registry; the real one by default (unit tests pass their own). */
  jobs?: Registry;
  now?: () => number;
}

export type RunResult =
  | { kind: "skipped"; reason: "not_found" | "deleted" | "already_processed" }
  | { kind: "on_hold" };

interface LeadRow {
  id: number;
  campaign_id: number;
  publisher_id: number;
  ip: string | null;
  user_agent: string | null;
  country: string | null;
  created_ts: number;
  email: string | null;
  processr_status: number;
  deleted_ts: number | null;
  over_allocation: number;
  hold_publisher_over_delivery: number;
}

interface JobRow extends JobGroupColumns {
  id: number;
  type: string;
  label: string;
  score: number;
  hardfail: number;
  enabled: number;
  config: string;
}

interface JobResult {
  job: JobRow;
  status: JobResultStatus;
  message: string;
  /** Admin-only detail (processr_job_leads.detail). */
  detail: string | null;
  level: "info" | "warning" | "error";
  startedTs: number;
  finishedTs: number;
}

/** The run's columns of a lead beyond its state's (LeadStateRow), read with them (leadStateStatements' extraColumns). */
const RUN_COLUMNS = ", l.ip, l.user_agent, l.country, l.email, c.hold_publisher_over_delivery, l.data, l.data_id";
type RunRow = LeadStateRow & Omit<LeadRow, keyof LeadStateRow> & { data: string | null; data_id: number | null };

/** What one lead's run needs, read for a whole queue batch at once (loadLeads). */
export interface LoadedLead {
  lead: LeadRow;
  values: Record<string, string>;
  /** The campaign's jobs (QA and integration, enabled or not) in position order. */
  jobs: JobRow[];
  /** The advertiser's value transforms, when the campaign uses them (src/processr/value-transforms.ts). */
  valueTransforms?: LeadValueTransforms;
}

/**
 * Moves Received leads to Sent to Processr (100): done only for a lead whose run did not finish
 * in one go (it failed and will be retried, or its message is a redelivery), never on the way of
 * a run that does. A run that finishes takes its lead from Received to its outcome in the outcome's
 * one write, which also counts the run (processing_counter); this counts it here instead. Only
 * while the lead is still Received and not deleted (the same statistics bucket, so no lead-object
 * round trip); updated_ts says since when, for the sweeper (src/processr/sweeper.ts, docs/processr.md).
 */
export function sentToProcessr(db: D1Database, leadIds: readonly number[], now: number): D1PreparedStatement {
  return db.prepare(
    `UPDATE leads SET processr_status = ${PROCESSR_STATUS.SENT_TO_PROCESSR}, processing_counter = processing_counter + 1, updated_ts = ?1
      WHERE id IN (SELECT value FROM json_each(?2)) AND processr_status = ${PROCESSR_STATUS.RECEIVED} AND deleted_ts IS NULL`,
  ).bind(now, JSON.stringify(leadIds));
}

/**
 * One D1 batch for all the leads of a queue batch: reads the leads, their data and their
 * campaigns' jobs, and the states their lead objects decide from. Leads in `redelivered` (their
 * message came back: an earlier attempt failed or its invocation died) are first moved to Sent
 * to Processr (sentToProcessr), so that the states are the rows as they now are. Leads that do
 * not exist are absent.
 */
export async function loadLeads(
  db: D1Database,
  leadIds: readonly number[],
  redelivered: readonly number[] = [],
  now = Date.now(),
): Promise<{ leads: Map<number, LoadedLead>; states: Map<number, LeadState> }> {
  const ids = [...new Set(leadIds)];
  const out = new Map<number, LoadedLead>();
  if (ids.length === 0) return { leads: out, states: new Map() };
  const list = ids.map((_, i) => `?${i + 1}`).join(", ");
  // The states' job types (does the campaign hand off to integrations?) are taken from the
  // campaigns' jobs this batch reads anyway, not read again per lead. The run's own columns and
  // the lead's values (its row's block, decoded here as the view lead_datas derives it) come with
  // the states' read of the same rows.
  const stateStatements = leadStateStatements(db, ids, false, RUN_COLUMNS);
  const mark = redelivered.length > 0 ? [sentToProcessr(db, redelivered, now)] : [];
  const results = (await db.batch([
    ...mark,
    ...stateStatements,
    db.prepare(
      `SELECT j.campaign_id, j.id, j.type, j.label, j.score, j.hardfail, j.enabled, j.config, ${JOB_GROUP_COLUMNS}
         FROM campaign_processr_jobs j ${JOB_GROUP_JOIN}
        WHERE j.campaign_id IN (SELECT campaign_id FROM leads WHERE id IN (${list}))
        ORDER BY j.campaign_id, j.position, j.id`,
    ).bind(...ids),
    ...valueTransformReads(db, ids),
  ])).slice(mark.length);
  const runRows: RunRow[] = [];
  const states = leadStatesOf(results.slice(0, stateStatements.length), (row) => {
    runRows.push(row as unknown as RunRow);
    const { ip, user_agent, country, email, hold_publisher_over_delivery, data, data_id, ...lead } = row as unknown as RunRow;
    return lead;
  });
  const [jobsRes, ...transformRes] = results.slice(stateStatements.length);
  const transformsOf = valueTransformsByLead(transformRes);
  const jobsByCampaign = new Map<number, JobRow[]>();
  for (const { campaign_id, ...job } of jobsRes!.results as (JobRow & { campaign_id: number })[]) {
    const jobs = jobsByCampaign.get(campaign_id) ?? [];
    jobs.push(job);
    jobsByCampaign.set(campaign_id, jobs);
  }
  const typesByCampaign = new Map([...jobsByCampaign].map(([campaignId, jobs]) => [campaignId, [...new Set(jobs.filter((j) => j.enabled === 1).map((j) => j.type))]]));
  for (const state of states.values()) state.jobTypes = typesByCampaign.get(state.lead.campaign_id) ?? [];
  for (const { data, data_id, lead_hash, ...lead } of runRows) {
    // Null prototype: captured names are the publisher's ("constructor", "__proto__" included).
    const values: Record<string, string> = Object.create(null);
    for (const v of leadValues({ data, dataId: data_id, leadHash: lead_hash, createdTs: lead.created_ts })) {
      if (v.type !== "system") values[v.name] = v.value;
    }
    out.set(lead.id, { lead, values, jobs: jobsByCampaign.get(lead.campaign_id) ?? [], valueTransforms: transformsOf(lead.id, lead.campaign_id) });
  }
  return { leads: out, states };
}

/**
 * The part of a run that comes after the jobs: its D1 writes (its trail's row, then its own
 * statements: runStatements) and the transition for the lead object.
 */
export type RunPlan =
  | { kind: "done"; result: RunResult }
  | { kind: "write"; trail: TrailRow; statements: D1PreparedStatement[]; transition: TransitionRequest };

/**
 * The trails one statement inserts at most, in characters: at most 1.5 MB once encoded (UTF-8, or
 * escaped again as JSON), under the 2 MB that D1 takes as one bound value.
 */
const TRAIL_STATEMENT_CHARS = 512 * 1024;

/**
 * The writes of runs, in order: each run's trail row, then its own statements (value transforms).
 * Consecutive trail rows go in one statement (trailsStatements, with their counts), so a batch whose runs have no
 * statements of their own inserts all its trails at once; the rows and their ids are those of one
 * insert per run.
 */
export function runStatements(db: D1Database, plans: readonly Extract<RunPlan, { kind: "write" }>[]): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  let trails: TrailRow[] = [];
  let chars = 0;
  const flush = () => {
    if (trails.length > 0) out.push(...trailsStatements(db, trails));
    trails = [];
    chars = 0;
  };
  for (const plan of plans) {
    if (chars + plan.trail.trail.length > TRAIL_STATEMENT_CHARS) flush();
    trails.push(plan.trail);
    chars += plan.trail.trail.length;
    if (plan.statements.length === 0) continue;
    flush();
    out.push(...plan.statements);
  }
  flush();
  return out;
}

/**
 * Decides a run and runs its QA jobs, without writing the results yet: the consumer writes the
 * results of a whole queue batch in one D1 batch, with the outcomes its lead objects decide.
 */
export async function planRun(
  env: Env,
  loaded: LoadedLead | undefined,
  opts: RunOptions = {},
  shared?: Omit<JobContext, "now">,
): Promise<RunPlan> {
  const registry = opts.jobs ?? qaJobs;
  const now = opts.now ?? Date.now;
  const db = env.DB;
  if (!loaded) return { kind: "done", result: { kind: "skipped", reason: "not_found" } };
  const { lead } = loaded;
  if (lead.deleted_ts !== null) return { kind: "done", result: { kind: "skipped", reason: "deleted" } };
  if (lead.processr_status >= 500) return { kind: "done", result: { kind: "skipped", reason: "already_processed" } };

  const qa = loaded.jobs.filter((j) => !(j.type in integrationJobs));
  const enabled = qa.filter((j) => j.enabled);

  if (lead.over_allocation && lead.hold_publisher_over_delivery) {
    const reason = "The lead is over its publisher's allocation and the campaign holds over-delivery.";
    await setLeadProcessrStatus(env, { leadId: lead.id, status: PROCESSR_STATUS.ON_HOLD_OVER_DELIVERY, author: "processr", reason });
    return { kind: "done", result: { kind: "on_hold" } };
  }
  if (enabled.length === 0) {
    const reason = "The campaign has no enabled QA job.";
    await setLeadProcessrStatus(env, { leadId: lead.id, status: PROCESSR_STATUS.ON_HOLD_NO_JOB, author: "processr", reason });
    return { kind: "done", result: { kind: "on_hold" } };
  }

  const startedTs = now();
  // Before the jobs, so that they see the transforms' new fields.
  // Computed from the lead row, as the lead's data reads (not stored: src/leads/platform-data.ts).
  const platform = platformLeadData({ email: lead.email, createdTs: lead.created_ts, ip: lead.ip, userAgent: lead.user_agent, country: lead.country });
  const transformed = await applyValueTransforms(db, lead.id, loaded.values, loaded.valueTransforms, startedTs, platform);
  const jobLead: JobLead = {
    id: lead.id,
    campaignId: lead.campaign_id,
    publisherId: lead.publisher_id,
    ip: lead.ip,
    userAgent: lead.user_agent,
    createdTs: lead.created_ts,
    email: lead.email,
    values: transformed.values,
    platform,
    valueTransforms: transformed.transforms,
  };
  const ctx = shared ? { ...shared, now: startedTs } : createJobContext(env, startedTs);
  const results: JobResult[] = [];
  let hardfailed: JobRow | null = null;
  const grouped = applyJobGroups(qa, jobLead);
  for (const job of grouped.jobs) {
    const jobStarted = now();
    const ran = !job.enabled
      ? notRun("The job is disabled.")
      : hardfailed
        ? notRun(`Not run: the hardfail job ${JSON.stringify(hardfailed.label)} failed.`)
        : grouped.skip.has(job.id)
          ? notRun(grouped.skip.get(job.id)!)
          : await runJob(registry[job.type], job, jobLead, ctx);
    results.push({ job, ...ran, startedTs: jobStarted, finishedTs: now() });
    if (ran.status === "failed" && job.hardfail) hardfailed = job;
  }

  const outcome = scoreOutcome(results.map((r) => ({ status: r.status, score: r.job.score, hardfail: !!r.job.hardfail })));
  const failed = results.filter((r) => r.status === "failed").map((r) => r.job.label);
  const summary = `Score ${outcome.score}/${outcome.maxScore}${outcome.hardfail ? ", hard fail" : ""}; ${
    failed.length ? `failed: ${failed.join(", ")}` : "all jobs passed"
  }.`;
  const finishedTs = now();
  // The run's job results and log lines: one row (src/processr/trail.ts).
  const trail = new TrailBuilder(startedTs).message("info", startedTs, `Processr run started: ${enabled.length} QA job(s).`);
  for (const w of transformed.warnings) trail.message("warning", startedTs, w);
  for (const r of results) {
    trail.job({
      jobId: r.job.id, status: r.status, score: r.status === "passed" ? r.job.score : 0, maxScore: r.job.score, hardfail: !!r.job.hardfail,
      level: r.level, label: r.job.label, message: r.message, detail: r.detail, startedTs: r.startedTs, finishedTs: r.finishedTs,
    });
  }
  trail.message("info", finishedTs, `Processr outcome: ${outcome.flag}. ${summary}`, outcome);
  const transition: TransitionRequest = {
    leadId: lead.id,
    to: outcome.flag,
    source: "processr",
    author: "processr",
    reason: summary,
    processr: { score: outcome.score, maxScore: outcome.maxScore, hardfail: outcome.hardfail, qaResult: outcome.flag },
  };
  return { kind: "write", trail: trail.row({ id: lead.id, campaignId: lead.campaign_id }), statements: transformed.statements, transition };
}

/**
 * A job that cannot run as configured (unknown type, invalid settings) fails, so that a broken
 * campaign set-up never lets leads through unchecked; the log line says why at level "error".
 * An exception inside a job is not caught: the message is retried (transient lookups).
 */
async function runJob(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  def: QaJobDefinition<any> | undefined,
  job: JobRow,
  lead: JobLead,
  ctx: JobContext,
): Promise<Ran> {
  const broken = (message: string): Ran => ({ status: "failed", message, detail: null, level: "error" });
  if (!def) return broken(`Unknown job type "${job.type}".`);
  const config = parsedConfig(def, job.config);
  if (!config.ok) return broken(config.message);
  const out: JobOutcome = await def.run(lead, config.config, ctx);
  return { status: out.passed ? "passed" : "failed", message: out.message, detail: out.detail ?? null, level: out.passed ? "info" : "warning" };
}

type ParsedConfig = { ok: true; config: unknown } | { ok: false; message: string };

// Parsed job configurations by job type (its definition) and the configuration's text: a
// campaign's jobs are parsed once per isolate, not once per lead and job.
const parsedConfig = memoByText(256, parseConfig);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parseConfig(def: QaJobDefinition<any>, text: string): ParsedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: "The job configuration is not valid JSON." };
  }
  const config = def.configSchema.safeParse(raw);
  if (!config.success) {
    const issues = config.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ");
    return { ok: false, message: `Invalid job configuration: ${issues}` };
  }
  // memoByText freezes it: every later lead of the isolate gets this same object.
  return { ok: true, config: config.data };
}

type Ran = Pick<JobResult, "status" | "message" | "detail" | "level">;
const notRun = (message: string): Ran => ({ status: "not_run", message, detail: null, level: "info" });

/**
 * Re-runs the Processr on a lead: the lead object clears its job results and sets it back to
 * Received (0), then the lead is queued. False when the lead does not exist or is deleted. If the
 * send fails after the reset, the caller gets the error; the sweeper re-sends leads left at 0.
 */
export async function requestReprocess(
  env: Pick<Env, "LEAD_OBJECT" | "PROCESSR_QUEUE">,
  leadId: number,
  who: { userId: number | null; author: string },
): Promise<boolean> {
  const reset = await resetLeadForReprocess(env, { leadId, userId: who.userId, author: who.author });
  if (!reset.ok) return false;
  await env.PROCESSR_QUEUE.send({ type: "process", leadId, reprocess: true });
  return true;
}
