import type { Env } from "../env";
import { PROCESSR_STATUS } from "./types";

// Every minute (cron) this re-enqueues leads that no Processr run is going to finish:
// - Received (0) for a minute (since its last write: capture's, or a reprocess request's reset back
//   to Received): capture enqueues each lead once, after its write batch; if that send
//   failed (or the Worker died in between) the lead sits at 0. A run that finishes takes its lead
//   from 0 to its outcome in one write (no Sent to Processr on the way), so a lead still
//   in the queue's backlog, or in a run, after a minute is re-sent too: the consumer is idempotent,
//   so the second message finds it processed, or runs with the first and one outcome applies.
// - Sent to Processr (100) for STUCK_AGE_MS: the consumer moves a lead to 100 when a run of it
//   failed and waits for its retry (or its message came back, an invocation having died); a run
//   that neither finished nor reached the dead-letter record (that write failed too, or the dead
//   letter was dropped) would leave it there for ever. Once sent, the sweep touches its
//   updated_ts, so such a lead is sent again at most once per STUCK_AGE_MS.

/** A lead this old still at Received is presumed not enqueued. */
export const SWEEP_AGE_MS = 60_000;
/**
 * A lead this long at Sent to Processr is presumed abandoned: longer than a message's retries with
 * backoff (wrangler.toml max_retries; 10 s doubling, capped at 10 min) and its dead-letter attempts.
 */
export const STUCK_AGE_MS = 60 * 60_000;
/** Leads of each status per run (Queue.sendBatch takes at most 100 messages). */
export const SWEEP_BATCH = 100;

/**
 * The leads of status ?1 last written before ?2, oldest first, at most ?3. Through
 * leads_unprocessed_idx (by status and id; leads below On Hold, 500): no scan of processed leads.
 * The literal `processr_status < 500` is the index's WHERE, which lets the planner use it.
 */
export const SWEEP_SQL =
  `SELECT id FROM leads WHERE processr_status = ?1 AND processr_status < 500 AND updated_ts < ?2 AND deleted_ts IS NULL ORDER BY id LIMIT ?3`;

export async function sweepUnqueuedLeads(env: Pick<Env, "DB" | "PROCESSR_QUEUE">, now = Date.now()): Promise<number[]> {
  const db = env.DB;
  const pick = (status: number, cutoff: number) => db.prepare(SWEEP_SQL).bind(status, cutoff, SWEEP_BATCH);
  const [received, stuck] = await db.batch<{ id: number }>([
    pick(PROCESSR_STATUS.RECEIVED, now - SWEEP_AGE_MS),
    pick(PROCESSR_STATUS.SENT_TO_PROCESSR, now - STUCK_AGE_MS),
  ]);
  const stuckIds = stuck!.results.map((r) => r.id);
  const ids = [...received!.results.map((r) => r.id), ...stuckIds];
  for (let i = 0; i < ids.length; i += SWEEP_BATCH) {
    await env.PROCESSR_QUEUE.sendBatch(ids.slice(i, i + SWEEP_BATCH).map((leadId) => ({ body: { type: "process" as const, leadId } })));
  }
  // Only once sent: a failed send leaves them due at the next sweep.
  if (stuckIds.length > 0) {
    await db.prepare(
      `UPDATE leads SET updated_ts = ?1 WHERE id IN (SELECT value FROM json_each(?2)) AND processr_status = ?3`,
    ).bind(now, JSON.stringify(stuckIds), PROCESSR_STATUS.SENT_TO_PROCESSR).run();
  }
  return ids;
}
