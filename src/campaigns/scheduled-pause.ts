import type { Env } from "../env";

// Scheduled pauses (Convertr pauses a campaign from a date-time, pauseTs): a PUT with a future
// pauseTs stores it without pausing; the cron pauses the campaign once that time has come, with a
// campaign note in the same D1 batch. Capture reads `paused`, so leads stop within a minute of pauseTs.

const due = `paused = 0 AND pause_ts IS NOT NULL AND pause_ts <= ?1 AND deleted_ts IS NULL`;

/** Pauses the campaigns whose scheduled pause has come; returns how many. */
export async function applyScheduledPauses(env: Pick<Env, "DB">, now = Date.now()): Promise<number> {
  const db = env.DB;
  const [, updated] = await db.batch([
    db.prepare(
      `INSERT INTO campaign_notes (campaign_id, author, note, created_ts)
       SELECT id, 'scheduler', 'Paused as scheduled' || coalesce(': ' || pause_reason, '') || '.', ?1 FROM campaigns WHERE ${due}`,
    ).bind(now),
    db.prepare(`UPDATE campaigns SET paused = 1, updated_ts = ?1 WHERE ${due}`).bind(now),
  ]);
  return updated!.meta.changes;
}
