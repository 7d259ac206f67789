import type { Env } from "../env";
import { PROCESSR_STATUS } from "./types";

// Capture enqueues each lead once, after its write batch; if that send failed (or the Worker died
// in between) the lead sits at processr_status 0. Every minute (cron) this re-enqueues such leads.
// The consumer is idempotent, so a lead that was in fact enqueued and is just slow is harmless.

/** A lead this old still at Received is presumed not enqueued. */
export const SWEEP_AGE_MS = 60_000;
/** Leads per run (Queue.sendBatch takes at most 100 messages). */
export const SWEEP_BATCH = 100;

export async function sweepUnqueuedLeads(env: Pick<Env, "DB" | "PROCESSR_QUEUE">, now = Date.now()): Promise<number[]> {
  const cutoff = now - SWEEP_AGE_MS;
  // leads_processr_status_idx holds Received leads in id order: no scan of processed leads.
  const { results } = await env.DB.prepare(
    `SELECT id FROM leads
      WHERE processr_status = ?1 AND created_ts < ?2 AND deleted_ts IS NULL
      ORDER BY id LIMIT ?3`,
  )
    .bind(PROCESSR_STATUS.RECEIVED, cutoff, SWEEP_BATCH)
    .all<{ id: number }>();
  const ids = results.map((r) => r.id);
  if (ids.length === 0) return [];
  await env.PROCESSR_QUEUE.sendBatch(ids.map((leadId) => ({ body: { type: "process" as const, leadId } })));
  return ids;
}
