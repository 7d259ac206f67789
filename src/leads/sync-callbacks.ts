import type { Env } from "../env";
import { isoTs } from "../http/iso-time";
import { checkOutboundUrl, OutboundUrlError, redactUrl } from "../integrations/outbound-url";
import { withHostSlot } from "../integrations/host-limiter";
import { fetchOutbound, type OutboundResult, retryAfterMs } from "../integrations/outbound-fetch";
import { logProviderCall } from "../integrations/provider-log";
import { webhookHeaders } from "../webhooks/standard-webhooks";
import type { LeadEventPayload } from "./types";

// Delivery of sync-tag callbacks (the Standard Webhooks specification), run from the lead object's alarm. The
// deliveries are rows of webhook_deliveries, so nothing is lost when the Worker restarts: the next
// alarm reads the pending rows again.
//
// - One POST per (event, subscription), signed the Standard Webhooks way; webhook-id is the
//   delivery id and stays the same on every retry, the timestamp is that of the attempt.
// - Only 2xx is success; redirects are not followed (a 3xx is a failure). 410 Gone disables the
//   subscription and gives up its pending deliveries. Anything else, a timeout or a network error
//   is retried on the schedule below, later if the receiver's Retry-After asks for it.
// - Per subscription the events go out in order: a later event waits while an earlier one is
//   being retried (a receiver never sees Valid after the Invalid that followed it).
// - Each attempt is a provider log line (status code, duration; never the secret).
// - Attempts take a slot of the receiver host's limiter (concurrency and rate per minute, shared
//   with integrations); without one the delivery waits, and that wait is not an attempt.

/** Delay before attempt n+1 after n attempts (Svix's schedule): 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const RETRY_DELAYS_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** After this many failed attempts (about 27.6 hours) the delivery is "failed". */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length;
/** A receiver's Retry-After is honoured up to this far ahead. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export function nextAttemptDelay(attemptsMade: number, retryAfter: number | null, random = Math.random): number {
  const base = RETRY_DELAYS_MS[Math.min(attemptsMade, MAX_ATTEMPTS - 1)]!;
  // Up to 10 % jitter so that many leads failing together do not retry in lockstep.
  const jittered = base + Math.floor(base * 0.1 * random());
  return Math.max(jittered, Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_MS));
}


/** What lead_events.payload holds: the callback body without the event id, known only after insert. */
export type StoredEventPayload = Omit<LeadEventPayload, "eventId">;

export function callbackBody(eventId: number, p: StoredEventPayload): string {
  const body: LeadEventPayload = {
    type: p.type,
    eventId,
    leadId: p.leadId,
    leadHash: p.leadHash,
    flag: p.flag,
    previousFlag: p.previousFlag,
    reason: p.reason,
    occurredTs: p.occurredTs,
  };
  return JSON.stringify(body);
}

interface PendingRow {
  id: string;
  event_id: number;
  subscription_id: number;
  attempts: number;
  next_attempt_ts: number | null;
  callback_url: string;
  secret: string;
  disabled_ts: number | null;
  payload: string;
  campaign_id: number;
}

type AttemptResult = "delivered" | "gone" | "gave_up" | "retry";

/** Attempts every due delivery of a lead, in event order per subscription. */
export async function deliverDueCallbacks(env: Env, leadId: number, now = Date.now()): Promise<void> {
  const { results } = await env.DB.prepare(
    `SELECT d.id, d.event_id, d.subscription_id, d.attempts, d.next_attempt_ts,
            s.callback_url, s.secret, s.disabled_ts, e.payload, l.campaign_id
       FROM webhook_deliveries d
       JOIN sync_subscriptions s ON s.id = d.subscription_id
       JOIN lead_events e ON e.id = d.event_id
       JOIN leads l ON l.id = d.lead_id
      WHERE d.lead_id = ?1 AND d.status = 'pending'
      ORDER BY d.subscription_id, d.event_id`,
  )
    .bind(leadId)
    .all<PendingRow>();
  const bySubscription = new Map<number, PendingRow[]>();
  for (const r of results) bySubscription.set(r.subscription_id, [...(bySubscription.get(r.subscription_id) ?? []), r]);

  await Promise.all(
    [...bySubscription.values()].map(async (rows) => {
      for (const [i, row] of rows.entries()) {
        if (row.disabled_ts !== null) {
          await giveUp(env, rows.slice(i), "The subscription is disabled.");
          return;
        }
        if ((row.next_attempt_ts ?? 0) > now) return;
        const outcome = await attempt(env, leadId, row, now);
        if (outcome === "gone") {
          await giveUp(env, rows.slice(i + 1), "The subscription was disabled (410 Gone).");
          return;
        }
        if (outcome === "retry") return;
      }
    }),
  );
}

async function attempt(env: Env, leadId: number, row: PendingRow, now: number): Promise<AttemptResult> {
  const body = callbackBody(row.event_id, JSON.parse(row.payload) as StoredEventPayload);
  const attemptNo = row.attempts + 1;
  let url: URL;
  try {
    url = checkOutboundUrl(env, row.callback_url);
  } catch (e) {
    if (!(e instanceof OutboundUrlError)) throw e;
    // The policy may have changed since the subscription was placed: final, nothing to retry.
    await finish(env, row, "failed", null, e.message, now);
    await log(env, leadId, row, row.callback_url, body, attemptNo, { ok: false, error: "network", message: e.message, durationMs: 0 }, "rejected", e.message);
    return "gave_up";
  }
  const headers = await webhookHeaders(row.secret, row.id, body, now);
  // The receiver's host shares the per-host limits of every outbound call (src/integrations/host-limiter.ts).
  const slot = await withHostSlot(env, url.hostname, () => fetchOutbound(url, { method: "POST", headers, body }));
  if (!slot.ok) {
    // Not an attempt: the delivery waits for the host, its attempt count unchanged.
    await env.DB.prepare(`UPDATE webhook_deliveries SET next_attempt_ts = ?2 WHERE id = ?1 AND status = 'pending'`)
      .bind(row.id, now + slot.retryAfterMs)
      .run();
    return "retry";
  }
  const result = slot.value;
  const status = result.ok ? result.status : null;
  const logUrl = redactUrl(url);

  if (status !== null && status >= 200 && status < 300) {
    await finish(env, row, "delivered", status, null, now, attemptNo);
    await log(env, leadId, row, logUrl, body, attemptNo, result, "delivered", "Delivered.");
    return "delivered";
  }
  if (status === 410) {
    const message = "The receiver answered 410 Gone: subscription disabled.";
    await env.DB.batch([
      env.DB.prepare(`UPDATE sync_subscriptions SET disabled_ts = ?2 WHERE id = ?1 AND disabled_ts IS NULL`).bind(row.subscription_id, now),
      finishStatement(env, row, "failed", status, message, now, attemptNo),
    ]);
    await log(env, leadId, row, logUrl, body, attemptNo, result, "rejected", message);
    return "gone";
  }
  const reason = result.ok ? `HTTP ${result.status}` : result.message;
  if (attemptNo >= MAX_ATTEMPTS) {
    const message = `${reason}; gave up after ${attemptNo} attempts.`;
    await finish(env, row, "failed", status, message, now, attemptNo);
    await log(env, leadId, row, logUrl, body, attemptNo, result, "rejected", message);
    return "gave_up";
  }
  const next = now + nextAttemptDelay(attemptNo, result.ok ? retryAfterMs(result.headers, now) : null);
  await env.DB.prepare(
    `UPDATE webhook_deliveries SET attempts = ?2, next_attempt_ts = ?3, last_status_code = ?4, last_error = ?5
      WHERE id = ?1 AND status = 'pending'`,
  )
    .bind(row.id, attemptNo, next, status, reason)
    .run();
  await log(env, leadId, row, logUrl, body, attemptNo, result, "retry", `${reason}; next attempt at ${isoTs(next)}.`);
  return "retry";
}

function finishStatement(
  env: Env,
  row: PendingRow,
  status: "delivered" | "failed",
  code: number | null,
  error: string | null,
  now: number,
  attempts = row.attempts,
) {
  return env.DB.prepare(
    `UPDATE webhook_deliveries
        SET status = ?2, attempts = ?3, last_status_code = coalesce(?4, last_status_code), last_error = ?5,
            delivered_ts = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_ts END, next_attempt_ts = NULL
      WHERE id = ?1 AND status = 'pending'`,
  ).bind(row.id, status, attempts, code, error, now);
}

async function finish(...args: Parameters<typeof finishStatement>) {
  await finishStatement(...args).run();
}

async function giveUp(env: Env, rows: PendingRow[], message: string) {
  if (rows.length === 0) return;
  const now = Date.now();
  await env.DB.batch(rows.map((r) => finishStatement(env, r, "failed", null, message, now)));
}

function log(
  env: Env,
  leadId: number,
  row: PendingRow,
  url: string,
  body: string,
  attemptNo: number,
  result: OutboundResult,
  outcome: "delivered" | "rejected" | "retry",
  message: string,
) {
  return logProviderCall(env, {
    leadId,
    campaignId: row.campaign_id,
    jobId: null,
    label: "Sync callback",
    method: "POST",
    url,
    requestBody: body,
    result,
    outcome,
    message: `delivery ${row.id}, attempt ${attemptNo}/${MAX_ATTEMPTS}: ${message}`,
  });
}

/** When the lead object must wake up next for callbacks: the earliest due head of any subscription's queue. */
export async function nextCallbackDueTs(db: D1Database, leadId: number): Promise<number | null> {
  const row = await db
    .prepare(
      `SELECT min(coalesce(d.next_attempt_ts, 0)) AS due FROM webhook_deliveries d
        WHERE d.lead_id = ?1 AND d.status = 'pending'
          AND d.event_id = (SELECT min(d2.event_id) FROM webhook_deliveries d2
                             WHERE d2.subscription_id = d.subscription_id AND d2.status = 'pending')`,
    )
    .bind(leadId)
    .first<{ due: number | null }>();
  return row?.due ?? null;
}
