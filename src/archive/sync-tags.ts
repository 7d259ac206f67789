import type { Env } from "../env";
import type { Candidate } from "../routes/webhooks/sync";
import { readArchivedLeads, restoreArchivedLead } from "./restore";

// Sync tags of archived leads, on the side that delivered them (src/routes/webhooks/sync.ts): a
// client's callback names the lead by its id at the client, which D1 keeps for an archived lead in
// archived_sync_tags. The delivery and its secret are read from the archive file, so the callback
// is verified before anything changes; a verified event restores the lead (restore on write) and
// then applies as for any lead.

/** The archived leads tagged with these ids at a client (a JSON array of strings). */
export const archivedSyncTagsStatement = (db: D1Database, remoteIdsJson: string) =>
  db.prepare(`SELECT remote_lead_id, lead_id FROM archived_sync_tags WHERE remote_lead_id IN (SELECT value FROM json_each(?1))`).bind(remoteIdsJson);

/** The tagged deliveries of archived leads, as their files hold them, with their job's config and tag state from D1. */
export async function archivedSyncDeliveries(
  env: Pick<Env, "DB" | "ARCHIVE">,
  tags: readonly { remote_lead_id: string; lead_id: number }[],
): Promise<Candidate[]> {
  const wanted = new Set(tags.map((t) => `${t.lead_id}:${t.remote_lead_id}`));
  const deliveries = (await readArchivedLeads(env, [...new Set(tags.map((t) => t.lead_id))]))
    .flatMap((l) => l.rows.integration_deliveries)
    .filter((d) => d.sync_secret !== null && wanted.has(`${d.lead_id}:${d.remote_lead_id}`));
  if (deliveries.length === 0) return [];
  const { results: jobs } = await env.DB.prepare(
    `SELECT j.id, j.config, s.removed_ts FROM campaign_processr_jobs j
       LEFT JOIN sync_tag_states s ON s.campaign_processr_job_id = j.id
      WHERE j.id IN (SELECT value FROM json_each(?1))`,
  ).bind(JSON.stringify(deliveries.map((d) => d.campaign_processr_job_id))).all<{ id: number; config: string; removed_ts: number | null }>();
  const jobById = new Map(jobs.map((j) => [j.id, j]));
  return deliveries.flatMap((d) => {
    const job = jobById.get(d.campaign_processr_job_id as number);
    return job
      ? [{
        id: d.id as number, lead_id: d.lead_id as number, remote_lead_id: d.remote_lead_id as string, sync_secret: d.sync_secret as string,
        last_sync_event_id: d.last_sync_event_id as number | null, config: job.config, tags_removed_ts: job.removed_ts, archived: true as const,
      }]
      : [];
  });
}

/**
 * Brings a verified callback's archived lead back to D1 (if no one did meanwhile). Returns the
 * latest client event applied to its delivery: `known` or what D1 has now, whichever is later.
 */
export async function restoreForSyncEvent(env: Pick<Env, "DB" | "ARCHIVE">, delivery: Candidate, known: number | null): Promise<number | null> {
  await restoreArchivedLead(env, delivery.lead_id);
  const row = await env.DB.prepare(`SELECT last_sync_event_id FROM integration_deliveries WHERE id = ?1`).bind(delivery.id).first<{ last_sync_event_id: number | null }>();
  if (!row) throw new Error(`Delivery ${delivery.id} of lead ${delivery.lead_id} is neither in D1 nor in the archive.`);
  const latest = Math.max(known ?? 0, row.last_sync_event_id ?? 0);
  return latest === 0 ? null : latest;
}
