import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { BUSY_RETRY_MS, hostLimiter, hostRatePerMinute, LEASE_MS, type OutboundHostLimiter, RATE_WINDOW_MS } from "../../src/integrations/host-limiter";
import { delivery, type FetchHandler, insertJob, insertLead, recordingEnv, stubFetch, withAdaptor } from "./helpers";

// The per-host request rate (OUTBOUND_HOST_RATE_PER_MINUTE) of the outbound limiter, next to its
// concurrency: over the rate a delivery waits in the queue (not an attempt), and the window frees slots.

const calls: Request[] = [];
const handler: { current: FetchHandler } = { current: (req) => (calls.push(req), Response.json({ lead_id: "R-1" })) };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

/** Moves every start recorded by the host's limiter `ms` into the past, as if that time had passed. */
async function age(host: string, ms: number) {
  await runInDurableObject(hostLimiter(env, host), (_: OutboundHostLimiter, state) => {
    state.storage.sql.exec("UPDATE starts SET ts = ts - ?", ms);
  });
}

describe("OutboundHostLimiter rate", () => {
  it("refuses a lease over the rate until the window has moved on, whatever the concurrency", async () => {
    const limiter = hostLimiter(env, "rate-a.example.test");
    for (let i = 0; i < 3; i++) {
      const slot = await limiter.acquire(10, { ratePerMinute: 3 });
      if (!slot.ok) throw new Error(`lease ${i} refused`);
      await limiter.release(slot.token);
    }
    expect(await limiter.inUse()).toBe(0);
    const over = await limiter.acquire(10, { ratePerMinute: 3 });
    expect(over).toMatchObject({ ok: false, reason: "rate" });
    if (over.ok) return;
    expect(over.retryAfterMs).toBeGreaterThan(RATE_WINDOW_MS - 5_000);
    expect(over.retryAfterMs).toBeLessThanOrEqual(RATE_WINDOW_MS);
    // A refused lease takes nothing from the window.
    expect(await limiter.started()).toBe(3);
    await age("rate-a.example.test", RATE_WINDOW_MS - 10_000);
    expect((await limiter.acquire(10, { ratePerMinute: 3 })).ok).toBe(false);
    await age("rate-a.example.test", 10_000);
    expect((await limiter.acquire(10, { ratePerMinute: 3 })).ok).toBe(true);
    expect(await limiter.started()).toBe(1);
  });

  it("counts the requests a lease will make, and waits for as many starts as it needs to leave the window", async () => {
    const limiter = hostLimiter(env, "rate-b.example.test");
    expect((await limiter.acquire(10, { ratePerMinute: 3, cost: 2 })).ok).toBe(true);
    await age("rate-b.example.test", 30_000);
    expect((await limiter.acquire(10, { ratePerMinute: 3, cost: 1 })).ok).toBe(true);
    // 3 of 3 used: a cost-2 lease needs the first start (cost 2) to leave, in about 30 s.
    const refused = await limiter.acquire(10, { ratePerMinute: 3, cost: 2 });
    expect(refused).toMatchObject({ ok: false, reason: "rate" });
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(25_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(30_000);
    }
    // A lease dearer than the whole rate still gets through once the window is empty.
    await age("rate-b.example.test", RATE_WINDOW_MS);
    expect((await limiter.acquire(10, { ratePerMinute: 3, cost: 5 })).ok).toBe(true);
    expect(await limiter.started()).toBe(3);
  });

  it("asks a caller refused for concurrency to come back within seconds, not when the held leases would expire", async () => {
    const limiter = hostLimiter(env, "busy-a.example.test");
    const held = await limiter.acquire(1);
    if (!held.ok) throw new Error("expected a free slot");
    const refused = await limiter.acquire(1);
    expect(refused).toMatchObject({ ok: false, reason: "concurrency" });
    // The lease runs for LEASE_MS (the bound for a crashed holder); the holder normally releases long before.
    if (!refused.ok) expect(refused.retryAfterMs).toBeLessThanOrEqual(BUSY_RETRY_MS);
    expect(BUSY_RETRY_MS).toBeLessThan(LEASE_MS / 10);
    // A lease about to end is waited for, not BUSY_RETRY_MS, with a floor of one second.
    const short = await limiter.acquire(2, { leaseMs: 1_200 });
    if (!short.ok) throw new Error("expected a free slot");
    const soon = await limiter.acquire(2);
    if (soon.ok) throw new Error("expected a refusal");
    expect(soon.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(soon.retryAfterMs).toBeLessThanOrEqual(1_200);
    await limiter.release(held.token);
    await limiter.release(short.token);
    expect((await limiter.acquire(1)).ok).toBe(true);
  });

  it("reports concurrency before rate, and reads the rate from the environment with a default of 600", async () => {
    const limiter = hostLimiter(env, "rate-c.example.test");
    expect((await limiter.acquire(1, { ratePerMinute: 1 })).ok).toBe(true);
    expect(await limiter.acquire(1, { ratePerMinute: 1 })).toMatchObject({ ok: false, reason: "concurrency" });
    expect(hostRatePerMinute(env)).toBe(600);
    expect(hostRatePerMinute({ OUTBOUND_HOST_RATE_PER_MINUTE: "30" })).toBe(30);
    expect(hostRatePerMinute({ OUTBOUND_HOST_RATE_PER_MINUTE: "0" })).toBe(600);
    expect(hostRatePerMinute({ OUTBOUND_HOST_RATE_PER_MINUTE: "lots" })).toBe(600);
  });
});

describe("deliveries over the host's rate", () => {
  it("are deferred through the queue without counting an attempt, then delivered once the window frees a slot", async () => {
    const host = "rate-d.example.test";
    const jobId = await insertJob(602, "http_integration", await withAdaptor({ name: "Rated CRM", url: `https://${host}/in`, responseKey: "lead_id" }));
    const first = await insertLead(602, 12, 36, { firstName: "Ada" });
    const second = await insertLead(602, 12, 36, { firstName: "Grace" });
    const { env: e, sent } = recordingEnv({ OUTBOUND_HOST_RATE_PER_MINUTE: "1" });
    expect(await handleIntegrateMessage(e, { type: "integrate", leadId: first.id, jobId })).toBe("ack");
    expect(await delivery(first.id, jobId)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(calls).toHaveLength(1);

    const msg = { type: "integrate" as const, leadId: second.id, jobId };
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls).toHaveLength(1);
    // Not dropped: the same message again, for when the first request has left the window.
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual(msg);
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(55);
    expect(sent[0]!.delaySeconds).toBeLessThanOrEqual(64);
    expect(await delivery(second.id, jobId)).toMatchObject({ status: "pending", attempts: 0, lease_until_ts: null, last_error: null });

    await age(host, RATE_WINDOW_MS);
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls).toHaveLength(2);
    expect(await delivery(second.id, jobId)).toMatchObject({ status: "delivered", attempts: 1, response_value: "R-1" });
  });
});
