import type { MiddlewareHandler } from "hono";
import type { AppEnv, Env } from "../env";
import { BACKFILL_NAMES, leadPendingSql } from "./backfill-pending";
import { CORE_FIELDS, columnFromLeadDataSql } from "../leads/core-fields";
import { IS_JOB_LINE, LINE_CLEARED, LINE_JOB, LINE_STATUS, RUN_LATEST, TRAIL_LINES } from "../processr/trail";

// Backfills that a migration leaves to the Worker (table backfills, src/db/schema.ts): D1 stops a
// statement at 30 s and `wrangler d1 migrations apply` sends a migration file as one query, so a
// statement over every lead of a large enterprise cannot run there. A migration records the lead
// ids it leaves (0 to the highest at the time; later leads are kept as they are written) and the
// Worker does them a range at a time, back to back: a chain of messages on the bulk queue, each
// going on for BACKFILL_BUDGET_MS and then sending the next, which the cron starts (and starts
// again if it broke). Each range is ONE D1 batch that applies it and moves the cursor, and it runs only
// if the cursor is still where its runner last saw it: a batch applied twice (an answer lost, a
// message delivered twice, the cron and the chain at once) does nothing the second time, and the
// runner that finds the cursor moved stops, so that one runner goes on, not two.

/** Leads per range: at 1,000,000 leads on a loaded host, a range holds D1 (and the requests behind it) for 0.17-0.65 s (BENCHMARKS.md). */
export const BACKFILL_RANGE = 5_000;
/**
 * How long the cron's run, and each message of the chain, goes on starting ranges: short enough
 * that a bulk job's batch on the same queue never waits long behind one.
 */
export const BACKFILL_BUDGET_MS = 10_000;

/**
 * The last lead id of the range that starts at backfill row `b`'s next_id (SQL): that of the
 * `?1`th lead from there, so a range is as many leads however sparse their ids; else last_id.
 */
const rangeEnd = (b: string) =>
  `coalesce((SELECT id FROM leads WHERE id BETWEEN ${b}.next_id AND ${b}.last_id ORDER BY id LIMIT 1 OFFSET ?1 - 1), ${b}.last_id)`;
/** Backfill `name`'s row (SQL condition on alias `b`) while its cursor is still `?2`, the one its runner saw. */
const atCursor = (name: string, b: string) => `${b}.name = '${name}' AND ${b}.next_id = ?2`;
/** The lead ids of backfill `name`'s next range (SQL condition on `column`; none once it is done or its cursor moved). */
const inRange = (name: string, column: string) =>
  `${column} BETWEEN (SELECT b.next_id FROM backfills b WHERE ${atCursor(name, "b")}) AND (SELECT ${rangeEnd("b")} FROM backfills b WHERE ${atCursor(name, "b")})`;

/**
 * processr_job_counts (migration 0044) with the run bounds of migration 0047: every job line,
 * job result and log line with a job of the range's live leads, as the triggers count them (and
 * the log lines without a lead with the first range, as lead 0); added to rows the triggers
 * already keep for later leads, the bounds widened as theirs are.
 */
const JOB_COUNTS = BACKFILL_NAMES.jobCounts;
const jobCountsRange = `INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
  SELECT job, publisher_id, kind, count(*), min(run), max(run) FROM (
    SELECT ${LINE_JOB} AS job, v.publisher_id, iif(${RUN_LATEST("r")} AND NOT ${LINE_CLEARED("r")}, 'trail:' || ${LINE_STATUS}, 'trail:other') AS kind, r.id AS run
      FROM leads v JOIN log_lines r ON r.lead_id = v.id AND r.trail IS NOT NULL, ${TRAIL_LINES("r")} l
     WHERE ${inRange(JOB_COUNTS, "v.id")} AND v.deleted_ts IS NULL AND v.publisher_id IS NOT NULL AND ${IS_JOB_LINE}
    UNION ALL SELECT j.campaign_processr_job_id, v.publisher_id, 'result:' || j.status, NULL
      FROM leads v JOIN job_results j ON j.lead_id = v.id
     WHERE ${inRange(JOB_COUNTS, "v.id")} AND v.deleted_ts IS NULL AND v.publisher_id IS NOT NULL
    UNION ALL SELECT o.campaign_processr_job_id, v.publisher_id, 'log:' || o.type, NULL
      FROM leads v JOIN log_lines o ON o.lead_id = v.id
     WHERE ${inRange(JOB_COUNTS, "v.id")} AND v.deleted_ts IS NULL AND v.publisher_id IS NOT NULL AND o.trail IS NULL AND o.campaign_processr_job_id IS NOT NULL
    UNION ALL SELECT o.campaign_processr_job_id, 0, 'log:' || o.type, NULL
      FROM log_lines o
     WHERE o.lead_id IS NULL AND o.trail IS NULL AND o.campaign_processr_job_id IS NOT NULL AND (SELECT b.next_id FROM backfills b WHERE ${atCursor(JOB_COUNTS, "b")}) = 0
  ) GROUP BY job, publisher_id, kind
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
    first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
    last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))`;

/**
 * The core-field copies of migration 0046: leads captured before their values were recognised
 * under the names forms use besides Convertr's get the copies they lack (src/leads/core-fields.ts,
 * the rule of capture); a column already set is kept, and a lead with nothing to gain is not written.
 */
const CORE_FIELDS_NAME = BACKFILL_NAMES.coreFields;
const COPIED = CORE_FIELDS.filter((c) => ["first_name", "last_name", "telephone", "postcode"].includes(c.column));
const coreFieldsWhere = (leads: string) => `UPDATE leads SET ${COPIED.map((c) => `${c.column} = coalesce(${c.column}, ${columnFromLeadDataSql(c)})`).join(", ")}
  WHERE ${leads} AND data IS NOT NULL
    AND (${COPIED.map((c) => `${c.column} IS NULL AND ${columnFromLeadDataSql(c)} IS NOT NULL`).join(" OR ")})`;
const coreFieldsRange = coreFieldsWhere(inRange(CORE_FIELDS_NAME, "id"));

/**
 * The copies of lead `?1` alone, for a lead restored from the archive: one archived before the
 * backfill reached it (or before the migration) comes back without them, behind the cursor.
 */
export const restoredCoreFields = (db: D1Database, leadId: number) => db.prepare(coreFieldsWhere("id = ?1")).bind(leadId);

/** Lead `column` (SQL) is still to get its copies: the archive leaves it in D1 until it has them. */
export const coreFieldsPending = (column: string) => leadPendingSql("coreFields", column);

/** Each backfill a migration can leave, by its name in backfills: the statement that applies a range (`?1`: its size, `?2`: its cursor). */
const BACKFILLS = new Map<string, string>([[JOB_COUNTS, jobCountsRange], [CORE_FIELDS_NAME, coreFieldsRange]]);

/** The names seen done (no row) in this isolate: a backfill never comes back once done. */
const done = new Set<string>();

/** Whether backfill `name` is known to be done in this isolate (see readBackfills); false while unknown. */
export const backfillDone = (name: keyof typeof BACKFILL_NAMES) => done.has(BACKFILL_NAMES[name]);

/** Reads which backfills are left (one query, none once all are known done) and remembers those done. */
export async function readBackfills(db: D1Database): Promise<void> {
  if (Object.values(BACKFILL_NAMES).every((n) => done.has(n))) return;
  const { results } = await db.prepare("SELECT name FROM backfills").all<{ name: string }>();
  const left = new Set(results.map((r) => r.name));
  for (const n of Object.values(BACKFILL_NAMES)) if (!left.has(n)) done.add(n);
}

/** Middleware before the readers that ask backfillDone. */
export const backfillsRead: MiddlewareHandler<AppEnv> = async (c, next) => {
  await readBackfills(c.env.DB);
  await next();
};

/**
 * One range of backfill `name` from cursor `from`: applies it, moves the cursor past it, and drops
 * the row once past the last id, all in one batch and only while the cursor is still `from`.
 * Returns the next cursor, "done", or "moved" (another runner had moved it: this batch did nothing).
 */
async function backfillRange(db: D1Database, name: string, apply: string, size: number, from: number): Promise<number | "done" | "moved"> {
  const [, moved, , left] = await db.batch([
    db.prepare(apply).bind(size, from),
    db.prepare(`UPDATE backfills SET next_id = ${rangeEnd("backfills")} + 1 WHERE ${atCursor(name, "backfills")}`).bind(size, from),
    db.prepare("DELETE FROM backfills WHERE name = ?1 AND next_id > last_id").bind(name),
    db.prepare("SELECT next_id FROM backfills WHERE name = ?1").bind(name),
  ]);
  if (moved!.meta.changes === 0) return "moved";
  return (left!.results[0] as { next_id: number } | undefined)?.next_id ?? "done";
}

/**
 * Ranges of every backfill left, one after another from where its cursor is, until none is left,
 * another runner is found doing them, `budgetMs` has passed (a range started within it runs to its
 * end) or `maxRanges` are done. Returns the ranges applied and whether some are left to hand on
 * (only when this runner stopped on its budget: one that found another runner leaves them to it).
 */
export async function runBackfills(
  env: Pick<Env, "DB">,
  opts: { size?: number; budgetMs?: number; maxRanges?: number } = {},
): Promise<{ ranges: number; left: boolean }> {
  const { size = BACKFILL_RANGE, budgetMs = BACKFILL_BUDGET_MS, maxRanges = Infinity } = opts;
  const start = Date.now();
  let ranges = 0;
  for (;;) {
    const { results } = await env.DB.prepare("SELECT name, next_id FROM backfills ORDER BY name").all<{ name: string; next_id: number }>();
    const row = results.find((r) => BACKFILLS.has(r.name));
    if (row === undefined) return { ranges, left: false };
    const apply = BACKFILLS.get(row.name)!;
    let cursor = row.next_id;
    for (;;) {
      if (ranges >= maxRanges || Date.now() - start >= budgetMs) return { ranges, left: true };
      const next = await backfillRange(env.DB, row.name, apply, size, cursor);
      if (next === "moved") return { ranges, left: false };
      ranges++;
      if (next === "done") {
        done.add(row.name);
        break;
      }
      cursor = next;
    }
  }
}

/** The bulk queue's message that goes on with the backfills (src/bulk/messages.ts). */
const CHAIN_STEP = { type: "backfills" } as const;

/**
 * Runs ranges for BACKFILL_BUDGET_MS (`opts`: runBackfills'), then, if some are left, sends the chain's next message: the
 * cron's part (it starts the chain, or starts it again after a message was lost for good) and each
 * message's. A failure throws: the message is retried and goes on from the cursor as it is then.
 */
export async function advanceBackfills(env: Pick<Env, "DB" | "BULK_QUEUE">, opts?: Parameters<typeof runBackfills>[1]): Promise<void> {
  const { left } = await runBackfills(env, opts);
  if (left) await env.BULK_QUEUE.send(CHAIN_STEP);
}
