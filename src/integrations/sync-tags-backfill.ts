import type { SyncTagsBackfillMessage } from "../bulk/messages";
import type { Env } from "../env";
import { type ClientCredentials, type ClientFailure, clientExtensions } from "./convertr-client";
import { connectCredentials, convertrConnect, convertrConnectConfig } from "./convertr-connect";
import { withHostSlot } from "./host-limiter";
import { placeSyncTag } from "./sync-tags";

// The back-fill of "Place Sync Tags": the leads a Convertr Connect job delivered before its tags
// were placed get theirs in steps of BACKFILL_BATCH. The POST runs the first step; each step that
// leaves leads behind sends the next one to the bulk queue, until none remain.
//
// A step first claims the back-fill: sync_tag_states.updated_ts must still hold the step's token,
// and becomes token + 1, the next step's token. So a re-delivered message finds its token gone
// and places nothing; removing the tags (or placing them again, which starts a new back-fill from
// the first lead) changes updated_ts and stops the running chain at its next lead.

/** Deliveries tagged per step: the POST's and each queue message's. */
export const BACKFILL_BATCH = 25;
/** Steps in a row that found the client unreachable or its host busy before the back-fill waits for the admin. */
export const BACKFILL_MAX_FAILURES = 6;

type Job = { id: number; campaignId: number };
type StepResult =
  | { ok: true; tagged: number; failed: number; next: SyncTagsBackfillMessage | null }
  | { ok: false; failure: ClientFailure; next: SyncTagsBackfillMessage | null };

/** The client's subscription endpoint, or why sync tags cannot be placed there. */
async function subscriptionsUrl(env: Env, creds: ClientCredentials): Promise<URL | ClientFailure> {
  const extensions = await clientExtensions(env, creds);
  if (!("syncSubscriptions" in extensions)) return extensions;
  return (
    extensions.syncSubscriptions ?? {
      field: creds.baseField,
      message: "Sync tags are not available at this client: it does not advertise leadflare's sync extension.",
      transient: false,
    }
  );
}

const backfillIsOurs = async (env: Env, jobId: number, token: number) =>
  (await env.DB.prepare("SELECT 1 AS ok FROM sync_tag_states WHERE campaign_processr_job_id = ? AND updated_ts = ? AND removed_ts IS NULL")
    .bind(jobId, token)
    .first()) !== null;

/** One step: claims the back-fill, tags up to BACKFILL_BATCH leads after `afterId`, says what comes next. */
async function backfillStep(env: Env, job: Job, creds: ClientCredentials, subscribeUrl: URL, msg: SyncTagsBackfillMessage): Promise<StepResult | null> {
  const token = msg.step + 1;
  const claim = await env.DB.prepare(
    "UPDATE sync_tag_states SET updated_ts = ?3 WHERE campaign_processr_job_id = ?1 AND updated_ts = ?2 AND removed_ts IS NULL",
  )
    .bind(job.id, msg.step, token)
    .run();
  if (claim.meta.changes === 0) return null;
  const { results } = await env.DB.prepare(
    `SELECT id, lead_id, remote_lead_id FROM integration_deliveries
      WHERE campaign_processr_job_id = ? AND status = 'delivered' AND remote_lead_id IS NOT NULL AND sync_placed_ts IS NULL AND id > ?
      ORDER BY id LIMIT ?`,
  )
    .bind(job.id, msg.afterId, BACKFILL_BATCH)
    .all<{ id: number; lead_id: number; remote_lead_id: string }>();
  const next = (afterId: number, failures: number): SyncTagsBackfillMessage => ({ ...msg, step: token, afterId, failures });
  let tagged = 0;
  let failed = 0;
  let afterId = msg.afterId;
  for (const d of results) {
    if (!(await backfillIsOurs(env, job.id, token))) return { ok: true, tagged, failed, next: null };
    const outcome = await placeSyncTag(env, creds, subscribeUrl, { leadId: d.lead_id, campaignId: job.campaignId, jobId: job.id, remoteLeadId: d.remote_lead_id });
    if (outcome?.status === "retry") {
      return { ok: false, failure: { field: null, message: outcome.message, transient: true }, next: next(afterId, msg.failures + 1) };
    }
    // A lead the client refuses stays untagged; the back-fill goes past it (placing again retries it).
    if (outcome === null) tagged += 1;
    else failed += 1;
    afterId = d.id;
  }
  return { ok: true, tagged, failed, next: results.length === BACKFILL_BATCH ? next(afterId, 0) : null };
}

const retryDelaySeconds = (failures: number) => Math.min(300, 10 * 2 ** failures);

async function sendNext(env: Env, next: SyncTagsBackfillMessage | null, delaySeconds?: number) {
  if (!next || next.failures >= BACKFILL_MAX_FAILURES) return;
  await env.BULK_QUEUE.send(next, delaySeconds ? { delaySeconds } : undefined);
}

/**
 * "Place Sync Tags": records the state (every later delivery is tagged from now on) and runs the
 * back-fill's first step; the queue carries on with the rest. A failure that is not the client's
 * verdict on one lead (unreachable, refused credentials, no extension) is returned and nothing is
 * queued; "busy" says the client's host had no free slot.
 */
export async function placeSyncTags(
  env: Env,
  job: Job,
  creds: ClientCredentials,
): Promise<{ ok: true; tagged: number; failed: number } | { ok: false; failure: ClientFailure } | { ok: false; busy: { reason: "concurrency" | "rate"; retryAfterMs: number } }> {
  const subscribeUrl = await subscriptionsUrl(env, creds);
  if (!(subscribeUrl instanceof URL)) return { ok: false, failure: subscribeUrl };
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO sync_tag_states (campaign_processr_job_id, placed_ts, removed_ts, updated_ts) VALUES (?1, ?2, NULL, ?2)
     ON CONFLICT (campaign_processr_job_id) DO UPDATE SET
       placed_ts = CASE WHEN removed_ts IS NULL THEN placed_ts ELSE ?2 END, removed_ts = NULL, updated_ts = ?2`,
  )
    .bind(job.id, now)
    .run();
  const first: SyncTagsBackfillMessage = { type: "syncTagsBackfill", jobId: job.id, step: now, afterId: 0, failures: 0 };
  const run = await withHostSlot(env, new URL(creds.baseUrl).host, () => backfillStep(env, job, creds, subscribeUrl, first), BACKFILL_BATCH);
  if (!run.ok) return { ok: false, busy: run };
  // The claim of a step that has just written the token cannot fail, short of a concurrent DELETE.
  const step = run.value;
  if (!step) return { ok: true, tagged: 0, failed: 0 };
  if (!step.ok) return { ok: false, failure: step.failure };
  await sendNext(env, step.next);
  return { ok: true, tagged: step.tagged, failed: step.failed };
}

/** A back-fill message from the bulk queue: one step, then the next message if leads remain. */
export async function continueSyncTagsBackfill(env: Env, msg: SyncTagsBackfillMessage): Promise<void> {
  const row = await env.DB.prepare("SELECT campaign_id, type, config FROM campaign_processr_jobs WHERE id = ?")
    .bind(msg.jobId)
    .first<{ campaign_id: number; type: string; config: string }>();
  const config = row?.type === convertrConnect.type ? convertrConnectConfig.safeParse(JSON.parse(row.config)) : null;
  if (!row || !config?.success) {
    console.error("sync tags: back-fill stopped, the job is gone or no longer a valid Convertr Connect job", msg.jobId);
    return;
  }
  if (!(await backfillIsOurs(env, msg.jobId, msg.step))) return;
  const creds = connectCredentials(config.data);
  const subscribeUrl = await subscriptionsUrl(env, creds);
  if (!(subscribeUrl instanceof URL)) {
    if (subscribeUrl.transient) await sendNext(env, { ...msg, failures: msg.failures + 1 }, retryDelaySeconds(msg.failures));
    else console.error("sync tags: back-fill stopped", msg.jobId, subscribeUrl.message);
    return;
  }
  const job = { id: msg.jobId, campaignId: row.campaign_id };
  const run = await withHostSlot(env, new URL(creds.baseUrl).host, () => backfillStep(env, job, creds, subscribeUrl, msg), BACKFILL_BATCH);
  // Without a slot nothing was claimed: the same step comes back later.
  if (!run.ok) return sendNext(env, { ...msg, failures: msg.failures + 1 }, Math.ceil(run.retryAfterMs / 1000));
  const step = run.value;
  if (!step) return;
  if (!step.ok) console.error("sync tags: back-fill step failed", msg.jobId, step.failure.message);
  await sendNext(env, step.next, step.ok ? undefined : retryDelaySeconds(msg.failures));
}
