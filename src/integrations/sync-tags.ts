import type { Env } from "../env";
import type { IntegrationOutcome } from "../processr/types";
import { SYNC_CALLBACK_PATH } from "../routes/well-known";
import { newWebhookSecret } from "../webhooks/standard-webhooks";
import { answerOutcome, authorizedFetch, callLog, type ClientCredentials } from "./convertr-client";

// "Place Sync Tags" (Convertr's Connect help article) of a Convertr Connect job: a tag is leadflare's sync subscription
// at the client for one delivered lead, so that the client's verdicts come back signed to
// /api/webhook/sync. The job-level state (sync_tag_states) says whether tags are placed: placing
// covers every later delivery and back-fills the leads already delivered, in bounded batches;
// removing stops new tags and answers the client's callbacks 410 Gone, which makes the client
// drop its subscriptions (src/routes/webhooks/sync.ts). The back-fill itself runs in
// src/integrations/sync-tags-backfill.ts.

/**
 * For a delivery about to go out: null when its job does not place tags (its state once the action
 * was used, else its config.syncTags), else its subscription secret, set as syncSecret sets it. One
 * statement; the delivery path asks it with its claim instead (syncSecretTerms).
 */
export async function syncTagSecret(env: Pick<Env, "DB">, leadId: number, jobId: number, configDefault: boolean): Promise<string | null> {
  const row = await env.DB.prepare(
    `UPDATE integration_deliveries SET sync_secret = coalesce(sync_secret, ?1) WHERE lead_id = ?2 AND campaign_processr_job_id = ?3 AND ${tagsPlaced("?3", "?4")}
     RETURNING sync_secret`,
  )
    .bind(newWebhookSecret(), leadId, jobId, configDefault ? 1 : 0)
    .first<{ sync_secret: string | null }>();
  return row?.sync_secret ?? null;
}

/**
 * syncTagSecret as terms of the delivery's claim (an UPDATE of its row, RETURNING it): the SET term
 * and the RETURNING term `sync_secret`, null when the job does not place tags. The caller names the
 * parameters: the job's id, config.syncTags (1 or 0), a new secret (newWebhookSecret).
 */
export function syncSecretTerms(jobParam: string, configDefaultParam: string, newSecretParam: string) {
  const placed = tagsPlaced(jobParam, configDefaultParam);
  return {
    set: `sync_secret = CASE WHEN ${placed} THEN coalesce(sync_secret, ${newSecretParam}) ELSE sync_secret END`,
    returning: `CASE WHEN ${placed} THEN sync_secret END AS sync_secret`,
  };
}

/** SQL: the job places tags: its state once "Place Sync Tags" was used, else the configuration's default. */
const tagsPlaced = (jobParam: string, configDefaultParam: string) =>
  `coalesce((SELECT removed_ts IS NULL FROM sync_tag_states WHERE campaign_processr_job_id = ${jobParam}), ${configDefaultParam})`;

/** The subscription secret of a delivery: created once, reused by every retry (one statement: set if unset, read back). */
async function syncSecret(env: Pick<Env, "DB">, leadId: number, jobId: number): Promise<string> {
  const row = await env.DB.prepare(
    `UPDATE integration_deliveries SET sync_secret = coalesce(sync_secret, ?) WHERE lead_id = ? AND campaign_processr_job_id = ?
     RETURNING sync_secret`,
  )
    .bind(newWebhookSecret(), leadId, jobId)
    .first<{ sync_secret: string | null }>();
  if (!row?.sync_secret) throw new Error(`no integration delivery row for lead ${leadId}, job ${jobId}`);
  return row.sync_secret;
}

function readSubscriptionHash(body: string): string | null {
  try {
    const h = (JSON.parse(body) as { leadHash?: unknown }).leadHash;
    return typeof h === "string" ? h : null;
  } catch {
    return null;
  }
}

/**
 * Places the tag of one delivered lead: a subscription at the client for its lead there. Null on
 * success (the delivery is marked tagged, with the client's lead hash), else the failure.
 */
export async function placeSyncTag(
  env: Env,
  creds: ClientCredentials,
  subscribeUrl: URL,
  d: { leadId: number; campaignId: number; jobId: number; remoteLeadId: string; secret?: string },
): Promise<IntegrationOutcome | null> {
  const { log, logStatement, failedCall } = callLog(env, { id: d.leadId, campaignId: d.campaignId }, d.jobId);
  // A delivery brings the secret it read with syncTagSecret; the back-fill reads it here.
  const secret = d.secret ?? (await syncSecret(env, d.leadId, d.jobId));
  const body = JSON.stringify({ leadId: Number(d.remoteLeadId), callbackUrl: syncCallbackUrl(env), secret });
  const sub = await authorizedFetch(env, creds, subscribeUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body,
  });
  if (!sub.ok) return failedCall(sub.failure);
  const failure = answerOutcome(sub.result);
  const logged = [body.replace(secret, "whsec_***"), sub.result] as const;
  if (failure) {
    await log("Convertr Connect sync tags", subscribeUrl, ...logged, failure);
    return failure;
  }
  // The log line and the tag in one batch.
  await env.DB.batch([
    logStatement("Convertr Connect sync tags", subscribeUrl, ...logged, { status: "delivered", message: "Sync tags placed" }),
    tagPlacedStatement(env, d.leadId, d.jobId, readSubscriptionHash(sub.result.body)),
  ]);
  return null;
}

/** Where this instance receives the client's callbacks: the callbackUrl of every subscription it places. */
export const syncCallbackUrl = (env: Pick<Env, "BASE_URL">) => `${env.BASE_URL.replace(/\/+$/, "")}${SYNC_CALLBACK_PATH}`;

/**
 * Marks a delivery tagged, with the client's lead hash. Tags removed while the call was out: the
 * lead stays untagged (the client's callback gets 410).
 */
export function tagPlacedStatement(env: Pick<Env, "DB">, leadId: number, jobId: number, remoteLeadHash: string | null) {
  return env.DB.prepare(
    `UPDATE integration_deliveries SET sync_placed_ts = ?1, remote_lead_hash = coalesce(?2, remote_lead_hash)
     WHERE lead_id = ?3 AND campaign_processr_job_id = ?4 AND ${tagsKept("?4")}`,
  ).bind(Date.now(), remoteLeadHash, leadId, jobId);
}

/** SQL: the job (its id the parameter `jobParam`) still places tags (they were not removed meanwhile). */
export const tagsKept = (jobParam: string) =>
  `NOT EXISTS (SELECT 1 FROM sync_tag_states WHERE campaign_processr_job_id = ${jobParam} AND removed_ts IS NOT NULL)`;

export interface SyncTagStatus {
  placed: boolean;
  placedTs: number | null;
  removedTs: number | null;
  /** Delivered leads whose tag the client accepted. */
  coveredLeads: number;
  /** Delivered leads still without a tag (placed: the back-fill's remaining work). */
  untaggedLeads: number;
}

export async function syncTagStatus(env: Pick<Env, "DB">, jobId: number, configDefault: boolean): Promise<SyncTagStatus> {
  const [state, counts] = await env.DB.batch([
    env.DB.prepare("SELECT placed_ts, removed_ts FROM sync_tag_states WHERE campaign_processr_job_id = ?").bind(jobId),
    env.DB.prepare(
      `SELECT count(sync_placed_ts) AS covered, count(*) - count(sync_placed_ts) AS untagged FROM integration_deliveries
        WHERE campaign_processr_job_id = ? AND status = 'delivered' AND remote_lead_id IS NOT NULL`,
    ).bind(jobId),
  ]);
  const row = state!.results[0] as { placed_ts: number; removed_ts: number | null } | undefined;
  const n = counts!.results[0] as { covered: number; untagged: number };
  return {
    placed: row ? row.removed_ts === null : configDefault,
    placedTs: row?.placed_ts ?? null,
    removedTs: row?.removed_ts ?? null,
    coveredLeads: n.covered,
    untaggedLeads: n.untagged,
  };
}

/** Removes the tags: no new ones, and the client's callbacks for this job are answered 410 Gone. */
export async function removeSyncTags(env: Pick<Env, "DB">, jobId: number): Promise<void> {
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO sync_tag_states (campaign_processr_job_id, placed_ts, removed_ts, updated_ts) VALUES (?1, ?2, ?2, ?2)
       ON CONFLICT (campaign_processr_job_id) DO UPDATE SET removed_ts = coalesce(removed_ts, ?2), updated_ts = ?2`,
    ).bind(jobId, now),
    env.DB.prepare("UPDATE integration_deliveries SET sync_placed_ts = NULL WHERE campaign_processr_job_id = ?").bind(jobId),
  ]);
}
