import type { JobResultStatus } from "../db/schema";

// The Processr trail of one run on one lead (its job results and log lines) is written as ONE
// row of log_lines, JSON inside (issue 18: 12 rows and 19 index entries per lead before). The
// views `processr_job_leads` and `logs` (migration 0025) expand it back into the rows every
// reader knows, with the same columns, so the v4 resources, the publisher lead result and SQL
// readers are unchanged. Ids: the run's row takes the id at the END of a block of as many ids as
// it has lines (the line i of n gets id - n + 1 + i), reserved in log_lines' AUTOINCREMENT
// sequence by inserting the row with that explicit id; so a run's lines keep their time order
// among other logs, and each job result takes the id of its log line (log_lines' sequence is kept
// above every job_results id from before migration 0024, and job_results' own sequence starts at
// 2^40, so the two never meet).

/** A job's result and its log line: the job, what it gave, when (ms after the run started). */
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
/** Any other log line of the run: level, when (ms after the start), message, structured context. */
export type TrailMessageLine = [kind: "m", level: string, atMs: number, message: string, context: unknown];

export interface ProcessrTrail {
  /** When the run started (Unix ms). */
  s: number;
  l: (TrailJobLine | TrailMessageLine)[];
  /** Line indexes whose job result was cleared (a reprocess); their log lines stay. */
  x?: number[];
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

/** Collects a run's lines in order, then writes them as one statement. */
export class TrailBuilder {
  private readonly lines: ProcessrTrail["l"] = [];

  constructor(private readonly startedTs: number) {}

  message(level: string, ts: number, message: string, context: unknown = null): this {
    this.lines.push(["m", level, ts - this.startedTs, message, context]);
    return this;
  }

  job(r: TrailJob): this {
    this.lines.push([
      "j", r.jobId, r.status, r.score, r.maxScore, r.hardfail ? 1 : 0, r.startedTs - this.startedTs, r.finishedTs - this.startedTs,
      r.level, r.label, r.message, r.detail,
    ]);
    return this;
  }

  /** The INSERT of the run's row, its id at the end of a block of ids reserved for its lines. */
  statement(db: D1Database, lead: { id: number; campaignId: number }): D1PreparedStatement {
    const trail: ProcessrTrail = { s: this.startedTs, l: this.lines };
    return db.prepare(
      `INSERT INTO log_lines (id, type, lead_id, campaign_id, level, message, created_ts, trail)
       VALUES (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines'), 0) + ?1, 'processr', ?2, ?3, 'info', '', ?4, ?5)`,
    ).bind(this.lines.length, lead.id, lead.campaignId, this.startedTs, JSON.stringify(trail));
  }
}
