import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hostLimiter, type OutboundHostLimiter } from "../../src/integrations/host-limiter";
import { leadObject, subscribeToLead, transitionLead } from "../../src/leads/client";
import { MAX_ATTEMPTS, nextAttemptDelay, nextCallbackDueTs, RETRY_DELAYS_MS } from "../../src/leads/sync-callbacks";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { agencyContract601, cleanData, insertLead, interceptFetch, processLeads, rows } from "./fixtures";

// Sync-tag callbacks from the lead object's alarm: signed (checked with the independent
// `standardwebhooks` library), retried on failure with the same webhook-id, in order per
// subscription, disabled on 410, logged per attempt, and kept in D1 across a restart.

const CALLBACK = "https://agency.example/api/webhook/sync";
let cpId: number;

interface Captured { url: string; headers: Record<string, string>; body: string; redirect: RequestInit["redirect"] }
let received: Captured[] = [];
let answers: (() => Response)[] = [];

beforeAll(async () => {
  cpId = await agencyContract601();
});

beforeEach(() => {
  received = [];
  answers = [];
  interceptFetch("https://agency.example/", async (req, init) => {
    received.push({ url: req.url, headers: Object.fromEntries(req.headers), body: await req.text(), redirect: init?.redirect });
    return (answers.shift() ?? (() => new Response(null, { status: 204 })))();
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

interface DeliveryRow {
  id: string; event_id: number; subscription_id: number; status: string; attempts: number;
  next_attempt_ts: number | null; last_status_code: number | null; last_error: string | null;
}
const deliveries = (leadId: number) =>
  rows<DeliveryRow>(`SELECT * FROM webhook_deliveries WHERE lead_id = ?1 ORDER BY event_id, subscription_id`, leadId);

/** Runs the object's alarm (if one is armed) until no delivery of the lead is due any more. */
async function settle(leadId: number) {
  await vi.waitFor(async () => {
    await runDurableObjectAlarm(leadObject(env, leadId));
    // Due = the head of a subscription's queue is due (later events wait behind it).
    const due = await nextCallbackDueTs(env.DB, leadId);
    expect(due === null || due > Date.now()).toBe(true);
  }, { timeout: 10_000, interval: 50 });
}

/** Makes every pending delivery of the lead due now (as if its retry delay had passed). */
const fastForward = (leadId: number) =>
  env.DB.prepare(`UPDATE webhook_deliveries SET next_attempt_ts = 0 WHERE lead_id = ?1 AND status = 'pending'`).bind(leadId).run();

async function subscribedLead(data = cleanData()) {
  const id = await insertLead({ data });
  const secret = newWebhookSecret();
  const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret });
  if (!sub.ok) throw new Error(sub.message);
  return { id, secret, subscriptionId: sub.subscriptionId };
}

describe("sync-tag callbacks", () => {
  it("delivers the Processr outcome, signed the Standard Webhooks way, and logs the attempt", async () => {
    const { id, secret } = await subscribedLead();
    expect(await deliveries(id)).toEqual([]); // nothing to tell before the lead has a status
    await processLeads(id);
    await settle(id);

    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call!.url).toBe(CALLBACK);
    expect(call!.redirect).toBe("manual");
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 204 });
    expect(call!.headers["webhook-id"]).toBe(delivery!.id);
    const payload = new Webhook(secret).verify(call!.body, call!.headers);
    const lead = await env.DB.prepare(`SELECT lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ lead_hash: string }>();
    expect(payload).toEqual({
      type: "lead.status_changed", eventId: delivery!.event_id, leadId: id, leadHash: lead!.lead_hash,
      flag: "Valid", previousFlag: null, reason: "Score 100/100; all jobs passed.",
      occurredTs: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
    });
    expect(() => new Webhook(newWebhookSecret()).verify(call!.body, call!.headers)).toThrow();

    const logs = await rows<{ message: string; level: string; context: string }>(
      `SELECT message, level, context FROM logs WHERE lead_id = ?1 AND type = 'provider'`, id,
    );
    expect(logs).toHaveLength(1);
    expect(logs[0]!.message).toContain(`Sync callback POST ${CALLBACK} → 204 (delivered)`);
    expect(JSON.parse(logs[0]!.context)).toMatchObject({ response: { status: 204 }, durationMs: expect.any(Number) });
    expect(JSON.stringify(logs)).not.toContain(secret.slice(6));
  });

  it("is sent once when the host limiter applies the slot's release but its answer is lost", async () => {
    const limiter = hostLimiter(env, new URL(CALLBACK).hostname);
    // The limiter's release applies, then fails as if its answer were lost (every limiter's, until restored).
    const proto = await runInDurableObject(limiter, (instance: OutboundHostLimiter) => Object.getPrototypeOf(instance) as OutboundHostLimiter);
    const release = proto.release;
    proto.release = function (this: OutboundHostLimiter, token: string) {
      release.call(this, token);
      throw new Error("Network connection lost.");
    };
    try {
      const { id } = await subscribedLead();
      await processLeads(id);
      await settle(id);
      await fastForward(id);
      await settle(id);
      expect(received).toHaveLength(1);
      expect(await deliveries(id)).toMatchObject([{ status: "delivered", attempts: 1, last_status_code: 204 }]);
      expect(await limiter.inUse()).toBe(0);
    } finally {
      proto.release = release;
    }
  });

  it("retries a failed delivery with the same webhook-id, honouring no redirect, until it succeeds", async () => {
    const { id, secret } = await subscribedLead();
    answers = [
      () => new Response("down", { status: 500 }),
      () => new Response(null, { status: 302, headers: { Location: "https://elsewhere.example/" } }),
    ];
    await processLeads(id);
    await settle(id);
    let [d] = await deliveries(id);
    expect(d).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500, last_error: "HTTP 500" });
    const wait = d!.next_attempt_ts! - Date.now();
    expect(wait).toBeGreaterThan(3_000);
    expect(wait).toBeLessThanOrEqual(5_500);

    // The Worker restarts before the retry: the pending row in D1 is all the object needs.
    await abortAllDurableObjects();
    for (let i = 0; i < 3 && d!.status === "pending"; i++) {
      await fastForward(id);
      await settle(id);
      [d] = await deliveries(id);
    }
    expect(d).toMatchObject({ status: "delivered", attempts: 3, last_status_code: 204 });

    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([d!.id]));
    for (const r of received) expect(new Webhook(secret).verify(r.body, r.headers)).toMatchObject({ flag: "Valid" });
    const logs = await rows<{ level: string }>(`SELECT level FROM logs WHERE lead_id = ?1 AND type = 'provider' ORDER BY id`, id);
    expect(logs.map((l) => l.level)).toEqual(["warning", "warning", "info"]);
  });

  it("keeps events in order per subscription while an earlier one is being retried", async () => {
    const { id, secret } = await subscribedLead();
    answers = [() => new Response(null, { status: 503 })];
    await processLeads(id);
    await settle(id);
    await transitionLead(env, { leadId: id, to: "Invalid", source: "manual", author: "admin@acme.test", reason: "bad" });
    await transitionLead(env, { leadId: id, to: "Test", source: "manual", author: "admin@acme.test" });
    await settle(id);
    expect(received).toHaveLength(1); // the later events wait behind the first
    await fastForward(id);
    await settle(id);
    const flags = received.map((r) => (new Webhook(secret).verify(r.body, r.headers) as { flag: string }).flag);
    expect(flags).toEqual(["Valid", "Valid", "Invalid", "Test"]);
    expect((await deliveries(id)).map((d) => d.status)).toEqual(["delivered", "delivered", "delivered"]);
  });

  it("disables the subscription on 410 Gone and sends nothing more to it", async () => {
    const { id, subscriptionId } = await subscribedLead();
    answers = [() => new Response(null, { status: 410 })];
    await processLeads(id);
    await settle(id);
    expect(await deliveries(id)).toMatchObject([{ status: "failed", last_status_code: 410 }]);
    const sub = await env.DB.prepare(`SELECT disabled_ts FROM sync_subscriptions WHERE id = ?1`).bind(subscriptionId).first<{ disabled_ts: number | null }>();
    expect(sub!.disabled_ts).toBeGreaterThan(0);
    await transitionLead(env, { leadId: id, to: "Invalid", source: "manual", author: "admin@acme.test" });
    expect(await deliveries(id)).toHaveLength(1);
    expect(received).toHaveLength(1);
  });

  it("honours Retry-After and gives up after the documented number of attempts", async () => {
    const { id } = await subscribedLead();
    answers = [() => new Response(null, { status: 429, headers: { "Retry-After": "3600" } })];
    await processLeads(id);
    await settle(id);
    let [d] = await deliveries(id);
    expect(d!.next_attempt_ts! - Date.now()).toBeGreaterThan(3_590_000);

    await env.DB.prepare(`UPDATE webhook_deliveries SET attempts = ?2, next_attempt_ts = 0 WHERE id = ?1`).bind(d!.id, MAX_ATTEMPTS - 1).run();
    answers = [() => new Response(null, { status: 500 })];
    await settle(id);
    [d] = await deliveries(id);
    expect(d).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, last_error: `HTTP 500; gave up after ${MAX_ATTEMPTS} attempts.` });
    expect(await runDurableObjectAlarm(leadObject(env, id))).toBe(false); // nothing left to wake up for
  });

  it("follows the documented schedule", () => {
    expect(MAX_ATTEMPTS).toBe(8);
    expect(RETRY_DELAYS_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextAttemptDelay(1, null, () => 0)).toBe(5_000);
    expect(nextAttemptDelay(2, null, () => 0.99)).toBeLessThan(330_000);
    expect(nextAttemptDelay(1, 60_000, () => 0)).toBe(60_000);
    expect(nextAttemptDelay(1, 10 * 86_400_000, () => 0)).toBe(86_400_000);
  });

  it("tells a subscriber placed after processing the current status at once", async () => {
    const id = await insertLead({ data: { ...cleanData(), lastName: "Test" } });
    await processLeads(id);
    const secret = newWebhookSecret();
    const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret });
    expect(sub.ok).toBe(true);
    await settle(id);
    expect(received).toHaveLength(1);
    expect(new Webhook(secret).verify(received[0]!.body, received[0]!.headers)).toMatchObject({
      type: "lead.status_changed", flag: "Caution", previousFlag: null, reason: "Score 85/100; failed: Test Data Check.",
    });
    // Asking again with the same callback keeps one subscription and sends nothing new.
    const again = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret });
    expect(again).toEqual(sub);
    expect(await deliveries(id)).toHaveLength(1);
  });

  it("refuses bad subscriptions", async () => {
    const id = await insertLead();
    const secret = newWebhookSecret();
    const base = { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret };
    expect(await subscribeToLead(env, { ...base, callbackUrl: "ftp://agency.example/x" })).toMatchObject({ ok: false, code: "INVALID_CALLBACK" });
    expect(await subscribeToLead(env, { ...base, callbackUrl: "not a url" })).toMatchObject({ ok: false, code: "INVALID_CALLBACK" });
    expect(await subscribeToLead(env, { ...base, secret: "whsec_short" })).toMatchObject({ ok: false, code: "INVALID_CALLBACK" });
    expect(await subscribeToLead(env, { ...base, leadId: 77_777_777 })).toMatchObject({ ok: false, code: "NOT_FOUND" });
    const other = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = 602`).first<{ id: number }>();
    expect(await subscribeToLead(env, { ...base, campaignPublisherId: other!.id })).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(await rows(`SELECT id FROM sync_subscriptions WHERE lead_id = ?1`, id)).toEqual([]);
  });
});
