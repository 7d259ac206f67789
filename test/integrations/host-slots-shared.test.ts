import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hostLimiter, hostSlots, sharedLimiterCalls } from "../../src/integrations/host-limiter";
import { countedLimiter } from "./helpers";

// The acquire and more calls that a queue batch's workers make to one host at the same time go to
// its limiter as one call (sharedLimiterCalls), which answers each exactly as calls of their own,
// one after another, would be answered: the same slots, the same refusals, the same rate counted.

const inUse = (host: string) => hostLimiter(env, host).inUse() as Promise<number>;
const started = (host: string) => hostLimiter(env, host).started() as Promise<number>;

describe("a queue batch's limiter calls to one host at the same time", () => {
  it("take one call for the workers' acquires and one for their next runs' more, counting each run as its own", async () => {
    const host = "shared-a.example.test";
    const { counted, env: e } = countedLimiter({ OUTBOUND_HOST_CONCURRENCY: "10", OUTBOUND_HOST_RATE_PER_MINUTE: "600" });
    const shared = sharedLimiterCalls(e);
    const workers = Array.from({ length: 5 }, () => hostSlots(e));
    const first = await Promise.all(workers.map((w) => w.run(host, async () => "sent", 1, shared)));
    expect(first).toEqual(workers.map(() => ({ ok: true, value: "sent" })));
    expect(counted.calls).toBe(1);
    expect([await inUse(host), await started(host)]).toEqual([5, 5]);
    // Each worker keeps its slot: the next runs are counted (two requests each) in one call too.
    await Promise.all(workers.map((w) => w.run(host, async () => "sent", 2, shared)));
    expect(counted.calls).toBe(2);
    expect([await inUse(host), await started(host)]).toEqual([5, 15]);
    for (const w of workers) await w.release();
    expect(await inUse(host)).toBe(0);
  });

  it("refuses past the host's concurrency and rate as separate calls would, in the order asked", async () => {
    const busy = "shared-b.example.test";
    const c = countedLimiter({ OUTBOUND_HOST_CONCURRENCY: "2", OUTBOUND_HOST_RATE_PER_MINUTE: "600" });
    const shared = sharedLimiterCalls(c.env);
    const workers = Array.from({ length: 5 }, () => hostSlots(c.env));
    const answers = await Promise.all(workers.map((w) => w.run(busy, async () => null, 1, shared)));
    expect(answers.map((a) => (a.ok ? "ok" : a.reason))).toEqual(["ok", "ok", "concurrency", "concurrency", "concurrency"]);
    expect([await inUse(busy), await started(busy)]).toEqual([2, 2]);
    for (const w of workers) await w.release();

    const limited = "shared-c.example.test";
    const r = countedLimiter({ OUTBOUND_HOST_CONCURRENCY: "10", OUTBOUND_HOST_RATE_PER_MINUTE: "3" });
    const rateWorkers = Array.from({ length: 5 }, () => hostSlots(r.env));
    const rated = await Promise.all(rateWorkers.map((w) => w.run(limited, async () => null, 1, sharedLimiterCalls(r.env))));
    expect(rated.map((a) => (a.ok ? "ok" : a.reason))).toEqual(["ok", "ok", "ok", "rate", "rate"]);
    expect([await inUse(limited), await started(limited)]).toEqual([3, 3]);
    for (const w of rateWorkers) await w.release();
    expect(await inUse(limited)).toBe(0);
  });

  it("a run's further requests (more) go with the others' too, and are refused over the rate", async () => {
    const host = "shared-d.example.test";
    const { counted, env: e } = countedLimiter({ OUTBOUND_HOST_CONCURRENCY: "10", OUTBOUND_HOST_RATE_PER_MINUTE: "4" });
    const shared = sharedLimiterCalls(e);
    const workers = Array.from({ length: 3 }, () => hostSlots(e));
    const answers = await Promise.all(workers.map((w) => w.run(host, async (more) => (await more(1)).ok, 1, shared)));
    // Three acquires (3 of 4), then three more: one has room.
    expect(answers.map((a) => a.ok && a.value)).toEqual([true, false, false]);
    expect(counted.calls).toBe(2);
    expect(await started(host)).toBe(4);
    for (const w of workers) await w.release();
  });
});
