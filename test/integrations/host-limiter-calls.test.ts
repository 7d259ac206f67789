import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hostLimiter, type LimiterCall } from "../../src/integrations/host-limiter";

// The limiter's calls() answers several callers' acquires and mores in one call (a queue batch's
// workers, sharedLimiterCalls). If it fails part way, every caller is given the failure and none
// holds a slot, so nothing of the call may stay: no lease nobody holds, no request counted that
// nobody makes.

const acquire = (cost = 1): LimiterCall => ({ acquire: { limit: 5, opts: { ratePerMinute: 10, cost } } });

describe("OutboundHostLimiter.calls", () => {
  it("that fails part way leaves no lease and no request counted of the calls before the failure", async () => {
    const limiter = hostLimiter(env, "calls-atomic-a.example.test");
    const held = await limiter.acquire(5, { ratePerMinute: 10 });
    expect(held.ok).toBe(true);
    // The third call is malformed: the limiter throws on it after answering the first two. Called on
    // the instance, so that the object's own throw is this test's and not an uncaught error the
    // runtime reports from the object (which fails the run).
    const broken = { more: { token: "x", opts: null } } as unknown as LimiterCall;
    await runInDurableObject(limiter, (instance) => expect(() => instance.calls([acquire(), acquire(2), broken])).toThrow());
    expect(await limiter.inUse()).toBe(1);
    expect(await limiter.started()).toBe(1);
    // The limiter goes on: the slots and the rate the failed call would have taken are there.
    const after = await limiter.calls([acquire(), acquire(2)]);
    expect(after.map((r) => r.ok)).toEqual([true, true]);
    expect([await limiter.inUse(), await limiter.started()]).toEqual([3, 4]);
  });

  it("that succeeds applies every call, in order, as separate calls would", async () => {
    const limiter = hostLimiter(env, "calls-atomic-b.example.test");
    const answers = await limiter.calls([acquire(4), acquire(4), acquire(4)]);
    expect(answers.map((r) => r.ok)).toEqual([true, true, false]);
    expect(answers[2]).toMatchObject({ ok: false, reason: "rate" });
    expect([await limiter.inUse(), await limiter.started()]).toEqual([2, 8]);
  });
});
