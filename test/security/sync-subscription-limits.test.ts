import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { type AcquireResult, hostConcurrency, hostLimiter } from "../../src/integrations/host-limiter";
import { leadObject } from "../../src/leads/client";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { call, json } from "../helpers";
import { type FetchHandler, insertLead, stubFetch } from "../integrations/helpers";

// Sync subscriptions cannot multiply one lead's callbacks: at most 5 active subscriptions per
// lead, and every callback takes a slot of the receiving host's limiter like any outbound call.

const KEY_13 = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // campaign 601, publisher 13
const callbacks: Request[] = [];
const handler: { current: FetchHandler } = { current: (req) => (callbacks.push(req), new Response(null, { status: 204 })) };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const subscribe = (leadId: number, callbackUrl: string) =>
  call("/api/sync/subscriptions", json({ leadId, callbackUrl, secret: newWebhookSecret() }, "POST", { "X-Api-Key": KEY_13 }));
const active = async (leadId: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM sync_subscriptions WHERE lead_id = ? AND disabled_ts IS NULL").bind(leadId).first<{ n: number }>())!.n;

describe("sync subscriptions per lead", () => {
  it("takes 5 per lead, refuses a sixth with 409 and writes nothing, and still answers a retried subscriber", async () => {
    const lead = await insertLead(601, 13, 35, { email: "cap@example.org" });
    const urls = Array.from({ length: 6 }, (_, i) => `https://receiver-${i}.example.test/sync`);
    const ids: number[] = [];
    for (const url of urls.slice(0, 5)) {
      const res = await subscribe(lead.id, url);
      expect(res.status, url).toBe(201);
      ids.push(((await res.json()) as { subscriptionId: number }).subscriptionId);
    }
    const sixth = await subscribe(lead.id, urls[5]!);
    expect(sixth.status).toBe(409);
    expect(await sixth.json()).toEqual({ code: 409, message: "A lead takes at most 5 sync subscriptions, and this one has them." });
    expect(await active(lead.id)).toBe(5);
    // The same subscriber asking again is not a new subscription.
    const again = await subscribe(lead.id, urls[0]!);
    expect(again.status).toBe(201);
    expect(((await again.json()) as { subscriptionId: number }).subscriptionId).toBe(ids[0]);
    // A subscription the receiver disabled (410 Gone) frees its place.
    await env.DB.prepare("UPDATE sync_subscriptions SET disabled_ts = 1 WHERE id = ?").bind(ids[1]).run();
    expect((await subscribe(lead.id, urls[5]!)).status).toBe(201);
    expect(await active(lead.id)).toBe(5);
    // Send the subscriptions' first callbacks here, to the stub, not after the file has ended.
    await runDurableObjectAlarm(leadObject(env, lead.id));
  });
});

describe("sync callbacks and the per-host limiter", () => {
  it("waits, without spending an attempt, while the receiver's host has no free slot, then delivers", async () => {
    const host = "busy-receiver.example.test";
    const limiter = hostLimiter(env, host);
    const held: string[] = [];
    for (let i = 0; i < hostConcurrency(env); i++) {
      const slot = (await limiter.acquire(hostConcurrency(env))) as AcquireResult;
      if (!slot.ok) throw new Error("could not take the host's slots");
      held.push(slot.token);
    }
    const lead = await insertLead(601, 13, 35, { email: "busy@example.org" }, "Valid");
    const before = callbacks.length;
    // Already Valid: the subscription schedules a callback at once.
    expect((await subscribe(lead.id, `https://${host}/sync`)).status).toBe(201);
    await runDurableObjectAlarm(leadObject(env, lead.id));
    const pending = () =>
      env.DB.prepare("SELECT status, attempts, next_attempt_ts FROM webhook_deliveries WHERE lead_id = ?").bind(lead.id)
        .first<{ status: string; attempts: number; next_attempt_ts: number }>();
    const waiting = await pending();
    expect(waiting).toMatchObject({ status: "pending", attempts: 0 });
    expect(waiting!.next_attempt_ts).toBeGreaterThan(Date.now());
    expect(callbacks.slice(before).filter((r) => new URL(r.url).host === host)).toEqual([]);

    for (const token of held) await limiter.release(token);
    await env.DB.prepare("UPDATE webhook_deliveries SET next_attempt_ts = 0 WHERE lead_id = ?").bind(lead.id).run();
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(leadObject(env, lead.id));
      expect(await pending()).toMatchObject({ status: "delivered", attempts: 1 });
    }, { timeout: 10_000, interval: 50 });
    expect(callbacks.slice(before).filter((r) => new URL(r.url).host === host)).toHaveLength(1);
  });
});
