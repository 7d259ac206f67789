import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hostLimiter, hostSlots, type OutboundHostLimiter } from "../../src/integrations/host-limiter";
import { deliver, insertTestCampaign, PROCESSR_QUEUE, registerIntegrationJob, rows } from "../leads/fixtures";
import { insertLead } from "./helpers";

// A caller's host slot kept from one run to the next to the same host (a queue batch's worker):
// one lease however many runs, each run's requests counted against the rate, the slot let go when
// the caller moves to another host, is refused, fails or is done.

const slotEnv = (rate = "600") => ({ ...env, OUTBOUND_HOST_CONCURRENCY: "2", OUTBOUND_HOST_RATE_PER_MINUTE: rate });
const inUse = (host: string) => hostLimiter(env, host).inUse() as Promise<number>;
const started = (host: string) => hostLimiter(env, host).started() as Promise<number>;

describe("hostSlots", () => {
  it("keeps one lease across runs to the same host, counting each run's requests, and lets it go on release", async () => {
    const slots = hostSlots(slotEnv());
    const host = "slots-a.example.test";
    for (const requests of [1, 2, 1]) {
      expect(await slots.run(host, async () => inUse(host), requests)).toEqual({ ok: true, value: 1 });
    }
    expect(await started(host)).toBe(4);
    expect(await inUse(host)).toBe(1);
    await slots.release();
    expect(await inUse(host)).toBe(0);
  });

  it("lets the slot go when the caller moves to another host, and when a run throws", async () => {
    const slots = hostSlots(slotEnv());
    await slots.run("slots-b.example.test", async () => null);
    await slots.run("slots-c.example.test", async () => null);
    expect([await inUse("slots-b.example.test"), await inUse("slots-c.example.test")]).toEqual([0, 1]);
    await expect(slots.run("slots-c.example.test", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await inUse("slots-c.example.test")).toBe(0);
  });

  it("a kept slot over the rate is refused and let go; the concurrency is the limiter's, as for any caller", async () => {
    const host = "slots-d.example.test";
    const slots = hostSlots(slotEnv("2"));
    expect((await slots.run(host, async () => null)).ok).toBe(true);
    expect((await slots.run(host, async () => null)).ok).toBe(true);
    expect(await slots.run(host, async () => null)).toMatchObject({ ok: false, reason: "rate" });
    expect([await inUse(host), await started(host)]).toEqual([0, 2]);
    // Two other callers hold the host's two slots: a new caller is refused for concurrency.
    const e = slotEnv();
    const others = [hostSlots(e), hostSlots(e)];
    const busy = "slots-e.example.test";
    for (const o of others) expect((await o.run(busy, async () => null)).ok).toBe(true);
    expect(await hostSlots(e).run(busy, async () => null)).toMatchObject({ ok: false, reason: "concurrency" });
    for (const o of others) await o.release();
  });

  it("takes a new lease when the one it kept has expired", async () => {
    const host = "slots-f.example.test";
    const slots = hostSlots(slotEnv());
    await slots.run(host, async () => null);
    await runInDurableObject(hostLimiter(env, host), (_: OutboundHostLimiter, state) => {
      state.storage.sql.exec("UPDATE leases SET expires_ts = 0");
    });
    expect(await slots.run(host, async () => inUse(host))).toEqual({ ok: true, value: 1 });
    await slots.release();
    expect(await inUse(host)).toBe(0);
  });

  it("counts a run's further requests (more) against the rate, and refuses them over it", async () => {
    const host = "slots-g.example.test";
    const slots = hostSlots(slotEnv("2"));
    const answers = await slots.run(host, async (more) => [await more(1), await more(1)]);
    expect(answers.ok && answers.value.map((a) => a.ok)).toEqual([true, false]);
    expect(await started(host)).toBe(2);
    await slots.release();
  });

  it("a queue batch's deliveries to one host count one request each, and leave no slot held", async () => {
    // How many run at once is the consumer's own test (test/processr/consumer.test.ts).
    const remove = registerIntegrationJob("slots_for_test", "https://slots-batch.example.test/leads", async () => ({ status: "delivered", message: "ok" }));
    try {
      await insertTestCampaign(698, [{ id: 6981, type: "slots_for_test", label: "Slots", score: 0 }]);
      const ids = await Promise.all(Array.from({ length: 30 }, async (_, i) => (await insertLead(698, 12, 35, { email: `slots${i}@example.org` })).id));
      const result = await deliver(PROCESSR_QUEUE, ids.map((leadId) => ({ type: "integrate", leadId, jobId: 6981 })));
      expect([result.explicitAcks.length, result.retryMessages.length]).toEqual([30, 0]);
      expect(await rows(`SELECT 1 FROM integration_deliveries WHERE campaign_processr_job_id = 6981 AND status = 'delivered'`)).toHaveLength(30);
      expect([await inUse("slots-batch.example.test"), await started("slots-batch.example.test")]).toEqual([0, 30]);
    } finally {
      remove();
    }
  });
});
