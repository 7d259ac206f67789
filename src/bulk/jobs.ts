import { type SQL, sql } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { advanceBackfills } from "../db/backfills";
import { getDb } from "../db/client";
import { type BulkOperation, bulkJobs, leads } from "../db/schema";
import type { Env } from "../env";
import { continueSyncTagsBackfill } from "../integrations/sync-tags-backfill";
import { eraseEmails } from "../lists/erasure";
import { BATCH_SIZE, type BulkBatchMessage, type BulkMessage, bulkMessage } from "./messages";
import { applyToLead, type BulkJobRef, type BulkLead } from "./operations";
import { MAX_BULK_LEADS, type Selection, tooMany } from "./selection";

// A bulk job: created in one D1 batch (the job and one item per selected lead, numbered into
// batches of BATCH_SIZE), then one queue message per batch. A batch runs its pending items through
// the lead objects and writes their outcomes and the job's recounted totals in one D1 batch, so
// progress is kept per batch: a redelivered message runs only what is still pending, and the cron
// re-sends the batches of a job that stopped moving (a lost message, a send that failed).

/** A running job untouched this long is resumed by the cron. */
export const STALLED_AFTER_MS = 5 * 60_000;
/** Lead-object calls in flight at once within a batch. */
const CONCURRENCY = 10;
/** Jobs older than this are no longer resumed (their pending items stay visible as pending). */
const RESUME_WINDOW_MS = 24 * 3_600_000;

const run = (db: D1Database, query: string, ...binds: unknown[]) => db.prepare(query).bind(...binds);

// Statements built with drizzle's sql (the selection is a drizzle condition), run as plain D1
// statements so that they go in one D1 batch.
const dialect = new SQLiteSyncDialect();
const statement = (db: D1Database, q: SQL) => {
  const { sql: text, params } = dialect.sqlToQuery(q);
  return db.prepare(text).bind(...params);
};

/** The job's counters and status, recounted from its items (exact whatever ran twice). */
const recount = (jobId: number, now: number) => {
  const pending = sql`EXISTS (SELECT 1 FROM bulk_job_items WHERE job_id = ${jobId} AND status = 'pending')`;
  return sql`UPDATE bulk_jobs SET
       total = (SELECT count(*) FROM bulk_job_items WHERE job_id = ${jobId}),
       done = (SELECT count(*) FROM bulk_job_items WHERE job_id = ${jobId} AND status = 'done'),
       failed = (SELECT count(*) FROM bulk_job_items WHERE job_id = ${jobId} AND status = 'failed'),
       status = CASE WHEN ${pending} THEN 'running' ELSE 'done' END,
       finished_ts = CASE WHEN ${pending} THEN NULL ELSE coalesce(finished_ts, ${now}) END,
       updated_ts = ${now}
     WHERE id = ${jobId}`;
};

async function enqueue(env: Env, jobId: number, batches: number[]) {
  for (let i = 0; i < batches.length; i += 100) {
    await env.BULK_QUEUE.sendBatch(batches.slice(i, i + 100).map((batch) => ({ body: { jobId, batch } satisfies BulkMessage })));
  }
}

/** Creates the job for a selection and queues its batches; returns the job id. */
export async function createJob(env: Env, job: BulkJobRef, selection: Selection): Promise<number> {
  const db = getDb(env);
  const [{ n }] = await db.select({ n: sql<number>`count(*)` }).from(leads).where(selection.where);
  if (n! > MAX_BULK_LEADS) throw tooMany(n!);
  const [created] = await db
    .insert(bulkJobs)
    .values({ operation: job.operation, params: job.params, userId: job.userId, author: job.author })
    .returning({ id: bulkJobs.id });
  const jobId = created!.id;
  const now = Date.now();
  // Inputs named but not found, and refused rows, are failed items outside any batch (-1).
  const unknown = (column: string, values: (number | string)[], what: string) =>
    sql`INSERT INTO bulk_job_items (job_id, batch, input, status, message)
        SELECT ${jobId}, -1, j.value, 'failed', ${`Unknown ${what}.`} FROM json_each(${JSON.stringify(values)}) j
        WHERE NOT EXISTS (SELECT 1 FROM ${leads} WHERE ${sql.identifier(column)} = j.value AND ${selection.where})`;
  const items = [
    sql`INSERT INTO bulk_job_items (job_id, batch, lead_id, status)
        SELECT ${jobId}, (row_number() OVER (ORDER BY ${leads.id}) - 1) / ${sql.raw(String(BATCH_SIZE))}, ${leads.id}, 'pending'
        FROM ${leads} WHERE ${selection.where}`,
    unknown("id", selection.ids, "lead id"),
    unknown("lead_hash", selection.hashes, "lead hash"),
    sql`INSERT INTO bulk_job_items (job_id, batch, input, status, message)
        SELECT ${jobId}, -1, json_extract(j.value, '$[0]'), 'failed', json_extract(j.value, '$[1]')
        FROM json_each(${JSON.stringify(selection.refused.map((r) => [r.input, r.message]))}) j`,
    sql`UPDATE bulk_jobs SET batches = (SELECT coalesce(max(batch), -1) + 1 FROM bulk_job_items WHERE job_id = ${jobId}) WHERE id = ${jobId}`,
    recount(jobId, now),
  ].map((q) => statement(env.DB, q));
  try {
    await env.DB.batch(items);
  } catch (e) {
    // The batch may have applied with only its answer lost: its recount then gave the job its
    // items (or, with none, made it done), and the job goes on as stored instead of failing a
    // request that would be made again as a second job (the first being resumed by the cron all the same).
    const stored = await env.DB.prepare(`SELECT total > 0 OR status = 'done' AS applied FROM bulk_jobs WHERE id = ?1`)
      .bind(jobId).first<{ applied: number }>().catch(() => null);
    if (!stored?.applied) throw e;
  }
  const batches = Math.ceil(n! / BATCH_SIZE);
  try {
    await enqueue(env, jobId, Array.from({ length: batches }, (_, i) => i));
  } catch (e) {
    // The job is stored: the cron sends its batches once it counts as stalled.
    console.error("bulk: queueing the batches failed; the cron resumes the job", jobId, String(e));
  }
  return jobId;
}

async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Runs the pending items of one batch and records their outcomes with the job's totals. */
export async function runBatch(env: Env, msg: BulkBatchMessage): Promise<void> {
  const db = env.DB;
  const [jobRes, itemsRes] = await db.batch([
    run(db, `SELECT operation, params, user_id, author FROM bulk_jobs WHERE id = ?1`, msg.jobId),
    run(
      db,
      `SELECT i.id, i.lead_id, l.flag FROM bulk_job_items i LEFT JOIN leads l ON l.id = i.lead_id
        WHERE i.job_id = ?1 AND i.batch = ?2 AND i.status = 'pending' ORDER BY i.id`,
      msg.jobId,
      msg.batch,
    ),
  ]);
  const row = jobRes!.results[0] as { operation: BulkOperation; params: string; user_id: number | null; author: string } | undefined;
  const items = itemsRes!.results as { id: number; lead_id: number; flag: BulkLead["flag"] }[];
  if (!row || items.length === 0) return;
  const job: BulkJobRef = { operation: row.operation, params: JSON.parse(row.params), userId: row.user_id, author: row.author };
  const outcomes = await pool(items, CONCURRENCY, async (item) => {
    try {
      return await applyToLead(env, job, { id: item.lead_id, flag: item.flag });
    } catch (e) {
      // A lead object that cannot be reached: the item stays pending and the batch is retried.
      console.error("bulk: lead object call failed", msg.jobId, item.lead_id, String(e));
      return null;
    }
  });
  const now = Date.now();
  const writes = items.flatMap((item, i) => {
    const o = outcomes[i];
    if (!o) return [];
    return [run(db, `UPDATE bulk_job_items SET status = ?2, message = ?3 WHERE id = ?1 AND status = 'pending'`, item.id, o.ok ? "done" : "failed", o.message)];
  });
  await db.batch([...writes, statement(db, recount(msg.jobId, now))]);
  if (outcomes.some((o) => o === null)) throw new Error(`bulk job ${msg.jobId} batch ${msg.batch}: some leads are still pending`);
}

/** The queue handler of the bulk queue: each message acked or retried on its own. */
export async function handleBulkQueue(batch: MessageBatch<BulkMessage>, env: Env) {
  for (const msg of batch.messages) {
    const parsed = bulkMessage.safeParse(msg.body);
    if (!parsed.success) {
      // Retrying cannot fix a malformed body.
      console.error("bulk: dropping malformed message", msg.id, JSON.stringify(msg.body));
      msg.ack();
      continue;
    }
    const body = parsed.data;
    try {
      if (!("type" in body)) await runBatch(env, body);
      else if (body.type === "erasure") await eraseEmails(env, body);
      else if (body.type === "backfills") await advanceBackfills(env);
      else await continueSyncTagsBackfill(env, body);
      msg.ack();
    } catch (e) {
      console.error("bulk: message failed, retrying", JSON.stringify(body), String(e));
      msg.retry({ delaySeconds: Math.min(300, 10 * 2 ** Math.max(0, msg.attempts - 1)) });
    }
  }
}

/** Cron: re-sends the pending batches of running jobs that stopped moving. */
export async function resumeStalledJobs(env: Env, now = Date.now()): Promise<number[]> {
  const db = env.DB;
  const stalled = (
    await run(
      db,
      `SELECT id FROM bulk_jobs WHERE status = 'running' AND updated_ts < ?1 AND created_ts > ?2 ORDER BY id LIMIT 50`,
      now - STALLED_AFTER_MS,
      now - RESUME_WINDOW_MS,
    ).all<{ id: number }>()
  ).results;
  for (const { id } of stalled) {
    // A running job without a single item is a creation that failed after its row (the INSERT's
    // answer lost): its caller got an error and no job id, so there is no job to finish.
    const orphan = await run(db, `DELETE FROM bulk_jobs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM bulk_job_items WHERE job_id = ?1)`, id).run();
    if (orphan.meta.changes > 0) continue;
    const batches = (
      await run(db, `SELECT DISTINCT batch FROM bulk_job_items WHERE job_id = ?1 AND status = 'pending' ORDER BY batch`, id).all<{ batch: number }>()
    ).results.map((b) => b.batch);
    // Touched first: the next cron run waits another STALLED_AFTER_MS before sending them again.
    await run(db, `UPDATE bulk_jobs SET updated_ts = ?2 WHERE id = ?1`, id, now).run();
    await enqueue(env, id, batches);
  }
  return stalled.map((s) => s.id);
}
