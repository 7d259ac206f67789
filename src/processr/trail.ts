import { type SQL, sql } from "drizzle-orm";
import type { JobResultStatus } from "../db/schema";
import { leadPendingSql } from "../db/backfill-pending";
import { decodeText, encodeText, type TrailText } from "./trail-texts";

// The Processr trail of one run on one lead (its job results and log lines) is written as ONE
// row of log_lines, JSON inside (issue 18: 12 rows and 19 index entries per lead before), and in
// as few bytes as the views can read back exactly: no labels, fixed texts by number. The views
// `processr_job_leads` and `logs` (through `trail_lines`, migrations 0029 and 0040) expand it back into the
// rows every reader knows, with the same columns and words, so the v4 resources, the publisher
// lead result and SQL readers are unchanged; `processr_job_lead_ids` (migration 0041) lists the
// job results' ids alone, for the v4 Lead's links, and the triggers of processr_job_counts
// (migration 0044) and the walk of src/routes/v4/processr-job-leads.ts decode job lines too: a
// new trail form must be read there as well. Ids: the run's row takes the id at the END of a block of as many ids as
// it has lines (the line i of n gets id - n + 1 + i), reserved in log_lines' AUTOINCREMENT
// sequence by inserting the row with that explicit id; so a run's lines keep their time order
// among other logs, and each job result takes the id of its log line (log_lines' sequence is kept
// above every job_results id from before migration 0024, and job_results' own sequence starts at
// 2^40, so the two never meet).

/**
 * A job's result and its log line as first stored (still read, and written when a result does not
 * fit the compact form): the job, what it gave, when (ms after the run started), level, label,
 * message and admin detail in full.
 */
export type TrailJobLine = [
  kind: "j",
  jobId: number,
  status: JobResultStatus,
  score: number,
  maxScore: number,
  hardfail: 0 | 1,
  startedMs: number,
  finishedMs: number,
  level: string,
  label: string,
  message: string,
  detail: string | null,
];
/**
 * A job's result in compact form: the status and level as one code (JOB_CODES), the score
 * implied (the job's score when it passed, else 0), the label not stored (the job's, read from
 * campaign_processr_jobs, or from campaign_processr_job_labels for runs written before a rename
 * or delete), message and detail as TrailText; a null detail is left out.
 */
export type TrailCompactJobLine = [jobId: number, code: number, maxScore: number, hardfail: 0 | 1, startedMs: number, finishedMs: number, message: TrailText, detail?: TrailText];
/** Any other log line of the run: level, when (ms after the start), message, structured context (left out when null). */
export type TrailMessageLine = [kind: "m", level: string, atMs: number, message: TrailText, context?: unknown];
/**
 * The run's first line, "Processr run started: n QA job(s)." (info, at the start, no context), as
 * the number n alone.
 */
export type TrailStartLine = number;
/**
 * The run's outcome line: its message and context are rebuilt from these and the failed jobs'
 * labels. Score, maxScore and hardfail are left out when they are what the job lines before it
 * add up to (scoreOutcome's sums: the passed jobs' scores, the scores of the jobs that ran, a
 * failed hardfail job), as they are for every run the Processr writes.
 */
export type TrailOutcomeLine = [kind: "o", atMs: number, flag: string, score?: number, maxScore?: number, hardfail?: 0 | 1];

export type TrailLine = TrailJobLine | TrailCompactJobLine | TrailMessageLine | TrailOutcomeLine | TrailStartLine;

/**
 * A run's trail. Written now: its lines alone, a JSON array, times in ms after the row's
 * created_ts (when the run started); after a reprocess cleared some of its results, {l, x}. Trails
 * written before (issue 18's first compact form) are {s, l, x?} with the start in s, and read the same.
 */
export type ProcessrTrail = TrailLine[] | {
  /** When the run started (Unix ms); absent: the row's created_ts. */
  s?: number;
  l: TrailLine[];
  /** Line indexes whose job result was cleared (a reprocess); their log lines stay. */
  x?: number[];
};

// Status and level of a compact job line, by code (the views decode them the same way).
const JOB_CODES: readonly (readonly [JobResultStatus, string])[] = [["passed", "info"], ["failed", "warning"], ["not_run", "info"], ["failed", "error"]];

/**
 * The lead of log line `id` (SQL): the lead of the first log_lines row at or after it, since a
 * run's lines take the ids of the block that ends at its row and no other row has an id in it.
 * For the views logs and processr_job_leads, whose trail line ids are computed: with it, looking
 * up one line reads that lead's rows through log_lines_lead_idx instead of every trail.
 */
export const logLineLead = (id: number | SQL) => sql`(SELECT lead_id FROM log_lines WHERE id >= ${id} ORDER BY id LIMIT 1)`;

/** A job result of a trail as the view processr_job_leads shows it. */
export interface TrailJobResult {
  id: number;
  jobId: number;
  status: JobResultStatus;
  score: number;
  message: string;
  detail: string | null;
  startedTs: number;
  finishedTs: number;
}

/**
 * The job results of a run's row (its id, created_ts and trail), as the view decodes them in D1,
 * less those a reprocess cleared: for trails read outside D1 (the archive's files).
 */
export function trailJobResults(runId: number, createdTs: number, trail: ProcessrTrail): TrailJobResult[] {
  const { l: lines, s = createdTs, x } = Array.isArray(trail) ? { l: trail } : trail;
  const first = runId - lines.length + 1;
  return lines.flatMap((line, i): TrailJobResult[] => {
    if (x?.includes(i) || !Array.isArray(line)) return [];
    if (line[0] === "j") {
      const [, jobId, status, score, , , started, finished, , , message, detail] = line;
      return [{ id: first + i, jobId, status, score, message, detail, startedTs: s + started, finishedTs: s + finished }];
    }
    if (typeof line[0] !== "number") return [];
    const [jobId, code, maxScore, , started, finished, message, detail] = line as TrailCompactJobLine;
    const status = JOB_CODES[code]?.[0] ?? "failed";
    return [{
      id: first + i, jobId, status, score: code === 0 ? maxScore : 0, message: decodeText(message) ?? "", detail: decodeText(detail),
      startedTs: s + started, finishedTs: s + finished,
    }];
  });
}

export interface TrailJob {
  jobId: number;
  status: JobResultStatus;
  score: number;
  maxScore: number;
  hardfail: boolean;
  level: string;
  label: string;
  message: string;
  detail: string | null;
  startedTs: number;
  finishedTs: number;
}

/** The outcome line's message as the views rebuild it. */
const outcomeMessage = (o: { flag: string; score: number; maxScore: number; hardfail: boolean }, failed: readonly string[]) =>
  `Processr outcome: ${o.flag}. Score ${o.score}/${o.maxScore}${o.hardfail ? ", hard fail" : ""}; ${failed.length ? `failed: ${failed.join(", ")}` : "all jobs passed"}.`;

/** The context of an outcome line, when it is exactly {flag, score, maxScore, hardfail} (in that order). */
function outcomeOf(context: unknown): { flag: string; score: number; maxScore: number; hardfail: boolean } | null {
  if (typeof context !== "object" || context === null || Object.keys(context).join() !== "flag,score,maxScore,hardfail") return null;
  const o = context as Record<string, unknown>;
  const ok = typeof o.flag === "string" && Number.isSafeInteger(o.score) && Number.isSafeInteger(o.maxScore) && typeof o.hardfail === "boolean";
  return ok ? (o as { flag: string; score: number; maxScore: number; hardfail: boolean }) : null;
}

/**
 * Collects a run's lines in order, then writes them as one statement. Each line takes the compact
 * form only when the views give back exactly what it was given (else it is stored in full): the
 * texts through encodeText, the outcome line when its message is the one rebuilt from its
 * context and the failed jobs' labels.
 */
export class TrailBuilder {
  private readonly lines: TrailLine[] = [];
  private readonly failedLabels: string[] = [];
  // What the job lines so far add up to, as the views add them up for a short outcome line.
  private readonly sums = { score: 0, maxScore: 0, hardfail: false };
  // The job lines' jobs and statuses, in order: the batch counts them without decoding the trail in SQL.
  private readonly jobs: [jobId: number, status: JobResultStatus][] = [];

  constructor(private readonly startedTs: number) {}

  message(level: string, ts: number, message: string, context: unknown = null): this {
    const at = ts - this.startedTs;
    const o = level === "info" ? outcomeOf(context) : null;
    const text = encodeText(message);
    if (o && message === outcomeMessage(o, this.failedLabels)) {
      const summed = o.score === this.sums.score && o.maxScore === this.sums.maxScore && o.hardfail === this.sums.hardfail;
      this.lines.push(summed ? ["o", at, o.flag] : ["o", at, o.flag, o.score, o.maxScore, o.hardfail ? 1 : 0]);
    } else if (level === "info" && at === 0 && context === null && Array.isArray(text) && text.length === 2 && text[0] === 1 && typeof text[1] === "number") {
      this.lines.push(text[1]);
    } else {
      this.lines.push(context === null ? ["m", level, at, text] : ["m", level, at, text, context]);
    }
    return this;
  }

  job(r: TrailJob): this {
    const started = r.startedTs - this.startedTs;
    const finished = r.finishedTs - this.startedTs;
    const code = JOB_CODES.findIndex(([status, level]) => status === r.status && level === r.level);
    this.jobs.push([r.jobId, r.status]);
    if (r.status === "failed") this.failedLabels.push(r.label);
    if (r.status !== "not_run") this.sums.maxScore += r.maxScore;
    if (r.status === "passed") this.sums.score += r.maxScore;
    if (r.status === "failed" && r.hardfail) this.sums.hardfail = true;
    if (code >= 0 && r.score === (r.status === "passed" ? r.maxScore : 0)) {
      const line: TrailCompactJobLine = [r.jobId, code, r.maxScore, r.hardfail ? 1 : 0, started, finished, encodeText(r.message)];
      if (r.detail !== null) line.push(encodeText(r.detail));
      this.lines.push(line);
    } else {
      this.lines.push(["j", r.jobId, r.status, r.score, r.maxScore, r.hardfail ? 1 : 0, started, finished, r.level, r.label, r.message, r.detail]);
    }
    return this;
  }

  /** The run's row, for trailsStatement; its created_ts the run's start. */
  row(lead: { id: number; campaignId: number }): TrailRow {
    const trail: ProcessrTrail = this.lines;
    return { leadId: lead.id, campaignId: lead.campaignId, startedTs: this.startedTs, lines: this.lines.length, trail: JSON.stringify(trail), jobs: this.jobs };
  }
}

/** A run's row of log_lines (TrailBuilder.row): its lead, start, number of lines, trail, and its job lines' jobs and statuses. */
export interface TrailRow {
  leadId: number;
  campaignId: number;
  startedTs: number;
  lines: number;
  trail: string;
  jobs: readonly (readonly [jobId: number, status: JobResultStatus])[];
}

// A trail line `l` of run `r` (json_each over its lines, both trail forms) as the views
// trail_lines and processr_job_leads decode it, in SQL: whether it is a job's line, the job, the
// status, whether a reprocess cleared it, its id; and whether `r` is its lead's latest run (whose
// QA results processr_job_leads shows). The walk of src/routes/v4/processr-job-leads.ts and the
// batch's counts below read them; the triggers of migration 0044 spell the same.
export const TRAIL_LINES = (r: string) => `json_each(${r}.trail, iif(json_type(${r}.trail) = 'array', '$', '$.l'))`;
export const IS_JOB_LINE = "CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END";
export const LINE_JOB = "iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1)";
export const LINE_STATUS = "iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2)";
export const LINE_CLEARED = (r: string) => `EXISTS (SELECT 1 FROM json_each(${r}.trail, '$.x') c WHERE c.value = l.key)`;
export const LINE_ID = (r: string) => `${r}.id - json_array_length(${r}.trail, iif(json_type(${r}.trail) = 'array', '$', '$.l')) + 1 + l.key`;
export const RUN_LATEST = (r: string) => `NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = ${r}.lead_id AND p.trail IS NOT NULL AND p.id > ${r}.id)`;
/** Lead `x` (SQL) is counted in processr_job_counts: not among the ids its backfill has still to do (src/db/backfills.ts). */
export const COUNTED_LEAD = (x: string) => `NOT ${leadPendingSql("jobCounts", `coalesce(${x}, 0)`)}`;

/** processr_job_counts' row that, while its n is above 0, keeps the trigger on a new run from counting it (migration 0045). */
const DEFERRED = "(campaign_processr_job_id, publisher_id, kind, n) VALUES (0, 0, 'deferred', 1)";

/**
 * The INSERT of several runs' rows, in order, as ONE statement (a queue batch's runs: one
 * statement instead of one per lead): each row's id at the end of a block of as many ids as it
 * has lines, the blocks one after the other above the sequence, as the rows inserted one by one
 * would take them. The sequence is read once: SQLite writes it back at the end of the statement.
 *
 * Three statements, to run together and in order: the rows are counted in processr_job_counts by
 * one upsert per job, publisher and kind for all of them (after the insert), instead of by the row
 * trigger's upsert per job line of each; the trigger is held off meanwhile. The counts are those
 * the trigger gives: each run's job lines as results while it is its lead's latest run (the last
 * of these rows for its lead), as other lines otherwise, and the results of each lead's latest run
 * before these rows become other lines; each row's run bounds (first_run, last_run) widened by the
 * runs of the lines it gains. The new rows' lines are given as they were built (TrailRow.jobs),
 * not decoded again from their JSON; their lead's publisher, and whether it is deleted, are read
 * as the rows are written. The insert has no condition, so the counts are those of the rows it wrote.
 */
export function trailsStatements(db: D1Database, rows: readonly TrailRow[]): D1PreparedStatement[] {
  let end = 0;
  const values = rows.map((r) => [(end += r.lines), r.leadId, r.campaignId, r.startedTs, r.trail]);
  const last = new Map(rows.map((r, i) => [r.leadId, i]));
  // Each new job line as [lead, job, kind, its row's id above the sequence before the insert].
  const lines = rows.flatMap((r, i) => {
    const latest = last.get(r.leadId) === i;
    const at = values[i]![0];
    return r.jobs.map(([job, status]) => [r.leadId, job, latest ? `trail:${status}` : "trail:other", at]);
  });
  // log_lines' sequence as it was before the insert.
  const before = "((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines') - ?1)";
  return [
    db.prepare(`INSERT INTO processr_job_counts ${DEFERRED} ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + 1`),
    db.prepare(
      `INSERT INTO log_lines (id, type, lead_id, campaign_id, level, message, created_ts, trail)
       SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines'), 0) + (r.value ->> 0), 'processr', r.value ->> 1,
              r.value ->> 2, 'info', '', r.value ->> 3, r.value ->> 4
         FROM json_each(?1) r ORDER BY r.key`,
    ).bind(JSON.stringify(values)),
    db.prepare(
      `INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
       SELECT job, publisher_id, kind, sum(n), min(iif(n > 0, run, NULL)), max(iif(n > 0, run, NULL)) FROM (
         SELECT e.value ->> 1 AS job, v.publisher_id, e.value ->> 2 AS kind, 1 AS n, ${before} + (e.value ->> 3) AS run
           FROM json_each(?2) e JOIN leads v ON v.id = e.value ->> 0 AND v.deleted_ts IS NULL AND ${COUNTED_LEAD("v.id")}
         UNION ALL SELECT ${LINE_JOB}, v.publisher_id, iif(s.n > 0, 'trail:other', 'trail:' || ${LINE_STATUS}), s.n, q.id
           FROM json_each(?3) b
           JOIN leads v ON v.id = b.value AND v.deleted_ts IS NULL AND ${COUNTED_LEAD("v.id")}
           JOIN log_lines q ON q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = b.value AND p.trail IS NOT NULL AND p.id <= ${before}),
           ${TRAIL_LINES("q")} l, (SELECT 1 AS n UNION ALL SELECT -1) s
          WHERE ${IS_JOB_LINE} AND NOT ${LINE_CLEARED("q")}
         UNION ALL SELECT 0, 0, 'deferred', -1, NULL
       ) GROUP BY job, publisher_id, kind HAVING sum(n) <> 0 OR max(n) > 0
       ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
         first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
         last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))
        WHERE excluded.n <> 0 OR excluded.first_run < first_run OR excluded.last_run > last_run`,
    ).bind(end, JSON.stringify(lines), JSON.stringify([...last.keys()])),
  ];
}
