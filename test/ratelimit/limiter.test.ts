import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// The Durable Object on its own, with the clock driven through `now`. Times start an hour ahead
// of the real clock, on a whole second, so the cleanup alarm (real time) never fires mid-test.
const base = () => Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
let n = 0;
const limiter = () => env.RATE_LIMITER.getByName(`test:${++n}`);

describe("RateLimiter durable object", () => {
  it("allows exactly the limit under parallel requests", async () => {
    const stub = limiter();
    const now = base();
    const results = await Promise.all(Array.from({ length: 30 }, () => stub.hit(10, 300_000, now)));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(10);
    expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of results.filter((r) => !r.allowed)) {
      expect(r).toEqual({ allowed: false, remaining: 0, resetSeconds: 300, retryAfterSeconds: 300 });
    }
  });

  it("reports the remaining count and when the oldest request leaves the window", async () => {
    const stub = limiter();
    const t0 = base();
    expect(await stub.hit(5, 300_000, t0)).toEqual({ allowed: true, remaining: 4, resetSeconds: 300, retryAfterSeconds: 0 });
    expect(await stub.hit(5, 300_000, t0 + 100_000)).toEqual({
      allowed: true,
      remaining: 3,
      resetSeconds: 200,
      retryAfterSeconds: 0,
    });
  });

  it("slides: each request frees its slot exactly one window after it was made", async () => {
    const stub = limiter();
    const t0 = base();
    const w = 10_000;
    for (const dt of [0, 2_000, 4_000]) expect((await stub.hit(3, w, t0 + dt)).allowed).toBe(true);
    expect(await stub.hit(3, w, t0 + 5_000)).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    expect(await stub.hit(3, w, t0 + 9_999)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    // The request of t0 leaves the window at t0 + w: one slot, not a whole new window.
    expect(await stub.hit(3, w, t0 + 10_000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await stub.hit(3, w, t0 + 10_000)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    expect(await stub.hit(3, w, t0 + 11_999)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(await stub.hit(3, w, t0 + 12_000)).toMatchObject({ allowed: true, remaining: 0 });
    // A fixed window starting at t0 would have reset at t0 + 10 s and allowed three here.
    expect(await stub.hit(3, w, t0 + 13_000)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it("never forgets a request early when several share a second", async () => {
    const stub = limiter();
    const t0 = base();
    expect((await stub.hit(2, 10_000, t0 + 100)).allowed).toBe(true);
    expect((await stub.hit(2, 10_000, t0 + 900)).allowed).toBe(true);
    // Strictly, the first request frees a slot at t0 + 10.1 s; the bucket keeps both until t0 + 10.9 s.
    expect(await stub.hit(2, 10_000, t0 + 10_500)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(await stub.hit(2, 10_000, t0 + 10_900)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("does not count refused requests", async () => {
    const stub = limiter();
    const t0 = base();
    await stub.hit(2, 10_000, t0);
    await stub.hit(2, 10_000, t0);
    for (let i = 1; i <= 50; i++) expect((await stub.hit(2, 10_000, t0 + i * 100)).allowed).toBe(false);
    expect(await stub.hit(2, 10_000, t0 + 10_000)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("keeps keys independent", async () => {
    const a = limiter();
    const b = limiter();
    const t0 = base();
    await a.hit(1, 10_000, t0);
    expect((await a.hit(1, 10_000, t0)).allowed).toBe(false);
    expect(await b.hit(1, 10_000, t0)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("stores at most one row per second of the window", async () => {
    const stub = limiter();
    const t0 = base();
    for (let i = 0; i < 40; i++) {
      await stub.hit(1_000, 5_000, t0 + i * 1_000);
      await stub.hit(1_000, 5_000, t0 + i * 1_000 + 500);
      expect(await stub.size()).toBeLessThanOrEqual(5);
    }
  });

  it("empties itself with an alarm once idle", async () => {
    const stub = limiter();
    await stub.hit(10, 1_000, Date.now());
    expect(await stub.size()).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    await runDurableObjectAlarm(stub); // runs it now if it has not fired on its own yet
    expect(await stub.size()).toBe(0);
    // The object still works after deleting its storage.
    expect(await stub.hit(10, 1_000, Date.now())).toMatchObject({ allowed: true, remaining: 9 });
  });
});
