import { z } from "zod";
import type { LeadFlag } from "../db/schema";
import type { Env } from "../env";
import { isoTs } from "../http/iso-time";
import { EXTENSIONS_PATH } from "../integrations/convertr-client";
import { groupBy } from "../lib/group-by";
import { checkOutboundUrl, OutboundUrlError, redactUrl } from "../integrations/outbound-url";
import { withHostSlot } from "../integrations/host-limiter";
import { fetchOutbound, type OutboundResult, retryAfterMs } from "../integrations/outbound-fetch";
import { type ProviderCall, providerCallStatement, providerCallsStatement } from "../integrations/provider-log";
import { MAX_BATCH_EVENTS, syncBatchAnswerSchema } from "../routes/webhooks/sync";
import { webhookHeaders } from "../webhooks/standard-webhooks";
import type { LeadEventPayload, LeadEventType } from "./types";

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
// - Batches (deliverCallbackBatches, called by the Processr consumer for the leads of a queue
//   batch): the due deliveries of many leads to one receiver go in one signed request, if the
//   receiver's /.well-known/leadflare says its callback path takes batches; each event keeps its
//   own delivery id (the receiver's idempotency key) and gets its own answer, handled as the
//   answer to a single attempt. Receivers that do not say so get single callbacks.

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


/**
 * What lead_events.payload holds: what the event alone says, its flags and reason, each left out
 * when null. The rest of a callback's body is read with it (issue 18: 250 bytes an event before,
 * about 60, now about 12): its type and time are the row's (type, created_ts), the lead's id and hash the
 * lead's, and the event id is the row's id, known only after the insert. An event whose facts are
 * those of the note written with it (a status change: its flag, previous flag and reason are the
 * note's to_flag, from_flag and reason) holds only that note's id, `{"n":id}` (lead-writes.ts
 * EVENTS_SQL checks they are the same before it stores it so). Events stored before
 * hold the lead's id and their nulls (and the oldest the whole body but the event id), and read the same.
 */
export type StoredEventPayload = Partial<Pick<LeadEventPayload, "type" | "leadId" | "leadHash" | "flag" | "previousFlag" | "reason" | "occurredTs">> & { n?: number };

/** lead_events.payload for an event with these facts. */
export function storedEventPayload(facts: Pick<LeadEventPayload, "flag" | "previousFlag" | "reason">): string {
  const { flag, previousFlag, reason } = facts;
  return JSON.stringify({ flag: flag ?? undefined, previousFlag: previousFlag ?? undefined, reason: reason ?? undefined });
}

/** A delivery's callback event, from its event row and its lead. */
function callbackEvent(row: PendingRow): LeadEventPayload {
  const stored = JSON.parse(row.payload) as StoredEventPayload;
  const p: StoredEventPayload = stored.n === undefined ? stored : { flag: row.note_flag, previousFlag: row.note_previous_flag, reason: row.note_reason };
  return {
    type: p.type ?? row.event_type,
    eventId: row.event_id,
    leadId: p.leadId ?? row.lead_id,
    leadHash: p.leadHash ?? row.lead_hash,
    flag: p.flag ?? null,
    previousFlag: p.previousFlag ?? null,
    reason: p.reason ?? null,
    occurredTs: p.occurredTs ?? isoTs(row.event_ts),
  };
}

interface PendingRow {
  id: string;
  lead_id: number;
  event_id: number;
  subscription_id: number;
  attempts: number;
  next_attempt_ts: number | null;
  callback_url: string;
  secret: string;
  disabled_ts: number | null;
  payload: string;
  /** The facts of the note an event payload `{"n":id}` names (else null). */
  note_flag: LeadFlag | null;
  note_previous_flag: LeadFlag | null;
  note_reason: string | null;
  event_type: LeadEventType;
  event_ts: number;
  lead_hash: string;
  campaign_id: number;
}

type AttemptResult = "delivered" | "gone" | "gave_up" | "retry";

const PENDING_SQL = `SELECT d.id, d.lead_id, d.event_id, d.subscription_id, d.attempts, d.next_attempt_ts,
            s.callback_url, s.secret, s.disabled_ts, e.payload, e.type AS event_type, e.created_ts AS event_ts, l.lead_hash, l.campaign_id,
            n.to_flag AS note_flag, n.from_flag AS note_previous_flag, n.reason AS note_reason
       FROM webhook_deliveries d
       JOIN sync_subscriptions s ON s.id = d.subscription_id
       JOIN lead_events e ON e.id = d.event_id
       JOIN leads l ON l.id = d.lead_id
       LEFT JOIN lead_note_rows n ON n.id = e.payload ->> '$.n' AND n.lead_id = e.lead_id`;

/** Attempts every due delivery of a lead, in event order per subscription; answers how many were pending (due or not). */
export async function deliverDueCallbacks(env: Env, leadId: number, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    `${PENDING_SQL} WHERE d.lead_id = ?1 AND d.status = 'pending' ORDER BY d.subscription_id, d.event_id`,
  )
    .bind(leadId)
    .all<PendingRow>();
  await giveUp(env, results.filter((r) => r.disabled_ts !== null), "The subscription is disabled.");
  const claimed = await claimHeads(env, results, now);
  await claimed.release(await deliverInOrder(env, claimed.rows, now));
  return results.length;
}

/**
 * Per subscription, its claimed deliveries one at a time in event order, until one fails.
 * Returns those not attempted (after a failure), for the caller to release.
 */
async function deliverInOrder(env: Env, rows: PendingRow[], now: number, delivered?: Set<string>): Promise<PendingRow[]> {
  const unsent = await Promise.all(
    [...groupBy(rows, (r) => r.subscription_id).values()].map(async (rows) => {
      for (const [i, row] of rows.entries()) {
        const outcome = await attempt(env, row, now);
        if (outcome === "delivered") delivered?.add(row.id);
        if (outcome === "gone") {
          await giveUp(env, rows.slice(i + 1), "The subscription was disabled (410 Gone).");
          return [];
        }
        if (outcome === "retry") return rows.slice(i + 1);
      }
      return [];
    }),
  );
  return unsent.flat();
}

/** Per subscription, the leading run of its queue that passes `take`. */
function heads(rows: PendingRow[], take: (r: PendingRow) => boolean): PendingRow[] {
  return [...groupBy(rows, (r) => r.subscription_id).values()].flatMap((queue) => {
    const n = queue.findIndex((r) => !take(r));
    return n === -1 ? queue : queue.slice(0, n);
  });
}

/**
 * Takes the due head of each subscription's queue for this sender (an alarm or a batch), in one
 * statement: a delivery another sender holds is not sent twice, and a subscription's later events
 * never overtake an earlier one held elsewhere. The claim lasts CLAIM_MS unless settled; release
 * gives back what was taken but not sent.
 */
async function claimHeads(env: Env, rows: PendingRow[], now: number) {
  const until = now + CLAIM_MS;
  const due = heads(rows, (r) => r.disabled_ts === null && (r.next_attempt_ts ?? 0) <= now);
  const claimed = new Set(
    due.length === 0
      ? []
      : (
        await env.DB.prepare(
          `UPDATE webhook_deliveries SET next_attempt_ts = ?1
            WHERE status = 'pending' AND coalesce(next_attempt_ts, 0) <= ?2 AND id IN (SELECT value FROM json_each(?3)) RETURNING id`,
        )
          .bind(until, now, JSON.stringify(due.map((r) => r.id)))
          .all<{ id: string }>()
      ).results.map((r) => r.id),
  );
  const mine = heads(due, (r) => claimed.has(r.id));
  const release = async (unsent: PendingRow[]) => {
    if (unsent.length === 0) return;
    // Only this claim's own mark: a delivery settled meanwhile keeps what it got.
    await env.DB.prepare(
      `UPDATE webhook_deliveries
          SET next_attempt_ts = (SELECT json_extract(value, '$[1]') FROM json_each(?1) WHERE json_extract(value, '$[0]') = webhook_deliveries.id)
        WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each(?1)) AND status = 'pending' AND next_attempt_ts = ?2`,
    )
      .bind(JSON.stringify(unsent.map((r) => [r.id, r.next_attempt_ts])), until)
      .run();
  };
  const mineIds = new Set(mine.map((r) => r.id));
  await release(due.filter((r) => claimed.has(r.id) && !mineIds.has(r.id)));
  return { rows: mine, release };
}

async function attempt(env: Env, row: PendingRow, now: number): Promise<AttemptResult> {
  const body = JSON.stringify(callbackEvent(row));
  const attemptNo = row.attempts + 1;
  let url: URL;
  try {
    url = checkOutboundUrl(env, row.callback_url);
  } catch (e) {
    if (!(e instanceof OutboundUrlError)) throw e;
    // The policy may have changed since the subscription was placed: final, nothing to retry.
    await env.DB.batch([
      finishStatement(env, [{ id: row.id, attempts: row.attempts, code: null }], "failed", e.message, now),
      providerCallStatement(env, logCall(row, row.callback_url, body, attemptNo, { ok: false, error: "network", message: e.message, durationMs: 0 }, "rejected", e.message)),
    ]);
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
  const settled = settle(env, row, attemptNo, result.ok ? result.status : null, result.ok ? `HTTP ${result.status}` : result.message, result, now);
  await env.DB.batch([
    ...settledStatements(env, [settled], now),
    providerCallStatement(env, logCall(row, redactUrl(url), body, attemptNo, result, settled.log, settled.message)),
  ]);
  return settled.outcome;
}

/** A delivery settled for good: its attempts and the answer's status code. */
interface Finished {
  id: string;
  attempts: number;
  code: number | null;
}

/**
 * What an attempt's answer does to its delivery: 2xx delivered, 410 Gone disables the
 * subscription, anything else is retried on the schedule (the receiver's Retry-After honoured)
 * until the attempts run out. Its writes (settledStatements), the outcome and the log line's outcome and message.
 */
function settle(env: Env, row: PendingRow, attemptNo: number, status: number | null, reason: string, result: OutboundResult, now: number) {
  const finished = (to: "delivered" | "failed", error: string | null) => ({ status: to, error, item: { id: row.id, attempts: attemptNo, code: status } });
  if (status !== null && status >= 200 && status < 300) {
    return { finish: finished("delivered", null), statements: [], outcome: "delivered" as const, log: "delivered" as const, message: "Delivered." };
  }
  if (status === 410) {
    const message = "The receiver answered 410 Gone: subscription disabled.";
    return {
      finish: finished("failed", message),
      statements: [env.DB.prepare(`UPDATE sync_subscriptions SET disabled_ts = ?2 WHERE id = ?1 AND disabled_ts IS NULL`).bind(row.subscription_id, now)],
      outcome: "gone" as const,
      log: "rejected" as const,
      message,
    };
  }
  if (attemptNo >= MAX_ATTEMPTS) {
    const message = `${reason}; gave up after ${attemptNo} attempts.`;
    return { finish: finished("failed", message), statements: [], outcome: "gave_up" as const, log: "rejected" as const, message };
  }
  const next = now + nextAttemptDelay(attemptNo, result.ok ? retryAfterMs(result.headers, now) : null);
  return {
    finish: null,
    statements: [
      env.DB.prepare(
        `UPDATE webhook_deliveries SET attempts = ?2, next_attempt_ts = ?3, last_status_code = ?4, last_error = ?5
          WHERE id = ?1 AND status = 'pending'`,
      ).bind(row.id, attemptNo, next, status, reason),
    ],
    outcome: "retry" as const,
    log: "retry" as const,
    message: `${reason}; next attempt at ${isoTs(next)}.`,
  };
}

/** The writes of settled attempts: each one's own statements, then one statement per kind of finish (all the delivered ones together). */
function settledStatements(env: Env, settled: readonly ReturnType<typeof settle>[], now: number): D1PreparedStatement[] {
  const finishes = groupBy(
    settled.flatMap((x) => (x.finish ? [x.finish] : [])),
    (f) => JSON.stringify([f.status, f.error]),
  );
  return [
    ...settled.flatMap((x) => x.statements),
    ...[...finishes.values()].map((group) => finishStatement(env, group.map((f) => f.item), group[0]!.status, group[0]!.error, now)),
  ];
}

/** Settles deliveries for good, in one statement: each its attempts, and its answer's status code when it has one. */
function finishStatement(env: Env, items: readonly Finished[], status: "delivered" | "failed", error: string | null, now: number) {
  return env.DB.prepare(
    `UPDATE webhook_deliveries
        SET status = ?2, attempts = f.attempts, last_status_code = coalesce(f.code, last_status_code), last_error = ?3,
            delivered_ts = CASE WHEN ?2 = 'delivered' THEN ?4 ELSE delivered_ts END, next_attempt_ts = NULL
       FROM (SELECT value ->> 0 AS id, value ->> 1 AS attempts, value ->> 2 AS code FROM json_each(?1)) f
      WHERE webhook_deliveries.id = f.id AND status = 'pending'`,
  ).bind(JSON.stringify(items.map((i) => [i.id, i.attempts, i.code])), status, error, now);
}

async function giveUp(env: Env, rows: PendingRow[], message: string) {
  if (rows.length === 0) return;
  await finishStatement(env, rows.map((r) => ({ id: r.id, attempts: r.attempts, code: null })), "failed", message, Date.now()).run();
}

/** An attempt's provider log line (never the secret). */
function logCall(
  row: PendingRow,
  url: string,
  body: string,
  attemptNo: number,
  result: OutboundResult,
  outcome: "delivered" | "rejected" | "retry",
  message: string,
): ProviderCall {
  return {
    leadId: row.lead_id,
    campaignId: row.campaign_id,
    jobId: null,
    label: "Sync callback",
    method: "POST",
    url,
    requestBody: body,
    result,
    outcome,
    message: `delivery ${row.id}, attempt ${attemptNo}/${MAX_ATTEMPTS}: ${message}`,
  };
}

// ------------------------------------------------------------------ batches

/**
 * How long a batch holds the deliveries it took (their next_attempt_ts): a lead object's alarm
 * passes them over meanwhile, and takes them back if the batch never settled them.
 */
const CLAIM_MS = 30_000;
/** How long a receiver's answer about batches is remembered per isolate. */
const RECEIVER_TTL_MS = 5 * 60_000;
const receivers = new Map<string, { at: number; batchPath: string | null }>();
const receiverDoc = z.object({ extensions: z.object({ syncCallbackBatches: z.string().startsWith("/").optional() }) });

/** Whether the callback URL is a path its receiver says takes batches (its /.well-known/leadflare). */
async function takesBatches(env: Env, url: URL): Promise<boolean> {
  const hit = receivers.get(url.origin);
  if (hit && Date.now() - hit.at < RECEIVER_TTL_MS) return hit.batchPath === url.pathname;
  let batchPath: string | null = null;
  const r = await fetchOutbound(checkOutboundUrl(env, `${url.origin}${EXTENSIONS_PATH}`), { headers: { Accept: "application/json" } });
  if (r.ok && r.status === 200) {
    try {
      batchPath = receiverDoc.safeParse(JSON.parse(r.body)).data?.extensions.syncCallbackBatches ?? null;
    } catch {
      // not JSON: a receiver without extensions
    }
  }
  receivers.set(url.origin, { at: Date.now(), batchPath });
  return batchPath === url.pathname;
}

/**
 * Delivers the due callbacks of these leads, in batches per receiver where the receiver takes
 * them: one read, one claim, one request per receiver (up to MAX_BATCH_EVENTS events), one write
 * of all their outcomes. Per subscription only the due head of its queue goes (as one at a time
 * would), and a subscription whose event failed sends nothing more in this run. What is not
 * delivered here stays pending for the lead object's alarm; answers the leads it was taken for
 * that still have some (their objects' alarms are to be set for them: callbacksLeft).
 */
export async function deliverCallbackBatches(env: Env, leadIds: readonly number[], now = Date.now()): Promise<number[]> {
  if (leadIds.length === 0) return [];
  const { results } = await env.DB.prepare(
    `${PENDING_SQL} WHERE d.lead_id IN (SELECT value FROM json_each(?1)) AND d.status = 'pending' ORDER BY d.subscription_id, d.event_id`,
  )
    .bind(JSON.stringify(leadIds))
    .all<PendingRow>();
  const claimed = await claimHeads(env, results, now);
  const delivered = new Set<string>();
  const unsent = await Promise.all(
    [...groupBy(claimed.rows, (r) => r.callback_url)].map(([callbackUrl, rows]) => deliverToReceiver(env, callbackUrl, rows, now, delivered)),
  );
  await claimed.release(unsent.flat());
  return [...new Set(claimed.rows.filter((r) => !delivered.has(r.id)).map((r) => r.lead_id))];
}

/** Returns the deliveries not attempted. */
async function deliverToReceiver(env: Env, callbackUrl: string, rows: PendingRow[], now: number, delivered: Set<string>): Promise<PendingRow[]> {
  let url: URL | null = null;
  try {
    url = checkOutboundUrl(env, callbackUrl);
  } catch (e) {
    if (!(e instanceof OutboundUrlError)) throw e;
  }
  // A refused URL goes the single way too, which records why; so does a lone event (nothing to share).
  if (!url || rows.length < 2 || !(await takesBatches(env, url))) return deliverInOrder(env, rows, now, delivered);
  const blocked = new Set<number>();
  const unsent: PendingRow[] = [];
  let rest = rows;
  while (rest.length > 0) {
    unsent.push(...rest.filter((r) => blocked.has(r.subscription_id)));
    const open = rest.filter((r) => !blocked.has(r.subscription_id));
    for (const sub of await sendBatch(env, url, open.slice(0, MAX_BATCH_EVENTS), now, delivered)) blocked.add(sub);
    rest = open.slice(MAX_BATCH_EVENTS);
  }
  return unsent;
}

/** One batched request; returns the subscriptions whose event was not delivered. */
async function sendBatch(env: Env, url: URL, rows: PendingRow[], now: number, delivered: Set<string>): Promise<number[]> {
  const events = rows.map((r) => ({ ...callbackEvent(r), webhookId: r.id }));
  const body = JSON.stringify({ type: "lead.events", events });
  const batchId = `batch_${crypto.randomUUID().replace(/-/g, "")}`;
  const headers = await webhookHeaders([...new Set(rows.map((r) => r.secret))], batchId, body, now);
  const slot = await withHostSlot(env, url.hostname, () => fetchOutbound(url, { method: "POST", headers, body }));
  if (!slot.ok) {
    // Not an attempt: the deliveries wait for the host, their attempt counts unchanged.
    await env.DB.prepare(`UPDATE webhook_deliveries SET next_attempt_ts = ?1 WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?2))`)
      .bind(now + slot.retryAfterMs, JSON.stringify(rows.map((r) => r.id)))
      .run();
    return rows.map((r) => r.subscription_id);
  }
  const result = slot.value;
  const answers = new Map<string, { status: number; message: string }>();
  if (result.ok && result.status >= 200 && result.status < 300) {
    try {
      for (const a of syncBatchAnswerSchema.parse(JSON.parse(result.body)).results) answers.set(a.webhookId, a);
    } catch {
      // an unreadable answer: no event counts as delivered
    }
  }
  // Every event's writes and log line in a few statements: those of its own (retries, a 410), then one per kind of finish and one of log lines.
  const settled: ReturnType<typeof settle>[] = [];
  const calls: ProviderCall[] = [];
  const failed: number[] = [];
  for (const [i, row] of rows.entries()) {
    const answer = answers.get(row.id);
    // Whole-request failures (no per-event answer) count for each event; a 2xx without this
    // event's answer is not a delivery. 409: the receiver had this delivery id already.
    const status = answer ? (answer.status === 409 ? 200 : answer.status) : result.ok && !(result.status >= 200 && result.status < 300) ? result.status : null;
    const reason = answer ? `HTTP ${answer.status}: ${answer.message}` : result.ok ? `HTTP ${result.status}${status === null ? ", no answer for this event" : ""}` : result.message;
    const one = settle(env, row, row.attempts + 1, status, reason, result, now);
    if (one.outcome !== "delivered") failed.push(row.subscription_id);
    else delivered.add(row.id);
    settled.push(one);
    calls.push(logCall(row, redactUrl(url), JSON.stringify(events[i]), row.attempts + 1, result, one.log, `batch ${batchId} (${rows.length} events): ${one.message}`));
  }
  await env.DB.batch([...settledStatements(env, settled, now), providerCallsStatement(env, calls)]);
  return failed;
}

/** nextCallbackDueTs as a scalar subquery of lead ?1, for a statement that reads more beside it. */
export const NEXT_CALLBACK_DUE_SQL = `(SELECT min(coalesce(d.next_attempt_ts, 0)) FROM webhook_deliveries d
  WHERE d.lead_id = ?1 AND d.status = 'pending'
    AND d.event_id = (SELECT min(d2.event_id) FROM webhook_deliveries d2
                       WHERE d2.subscription_id = d.subscription_id AND d2.status = 'pending'))`;

/** When the lead object must wake up next for callbacks: the earliest due head of any subscription's queue. */
export async function nextCallbackDueTs(db: D1Database, leadId: number): Promise<number | null> {
  const row = await db.prepare(`SELECT ${NEXT_CALLBACK_DUE_SQL} AS due`).bind(leadId).first<{ due: number | null }>();
  return row?.due ?? null;
}
