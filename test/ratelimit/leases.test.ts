import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LEASE_TTL_MS, LeaseClient } from "../../src/ratelimit/leases";
import { LEASE_SHARE, type RateLimiter } from "../../src/ratelimit/rate-limiter";

// Leases of rate-limit slots (src/ratelimit/leases.ts). Two LeaseClient instances stand for two
// isolates sharing the limiter objects; the clock is driven through `now`, an hour ahead of the
// real one so that the objects' cleanup alarms never fire mid-test.
const base = () => Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
let n = 0;
const freshKey = () => `lease-test:${++n}`;
const W = 300_000;

/** The limiter namespace, counting the calls that reach an object. */
function countingLimiters() {
  const counter = { calls: 0, ns: env.RATE_LIMITER };
  counter.ns = new Proxy(env.RATE_LIMITER, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "getByName") {
        return (name: string) => {
          const stub = target.getByName(name);
          return {
            hit: (...args: Parameters<RateLimiter["hit"]>) => {
              counter.calls += 1;
              return stub.hit(...args);
            },
          };
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as DurableObjectNamespace<RateLimiter>;
  return counter;
}

/** One isolate's lease client on a fresh key, with the calls reaching the objects counted. */
const oneIsolate = () => ({ limiters: countingLimiters(), client: new LeaseClient(), key: freshKey(), now: base() });
/** Two isolates' lease clients sharing a fresh key, with the calls reaching the objects counted. */
const twoIsolates = () => ({ limiters: countingLimiters(), isolates: [new LeaseClient(), new LeaseClient()] as const, key: freshKey(), now: base() });

describe("rate-limit leases", () => {
  it("never let two isolates together past the limit under parallel load", async () => {
    const { limiters, isolates, key, now } = twoIsolates();
    const limit = 500;
    let allowed = 0;
    let refused = 0;
    for (let wave = 0; wave < 15; wave++) {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => isolates[i % 2]!.take(limiters.ns, key, limit, W, now)),
      );
      allowed += results.filter((r) => r.allowed).length;
      refused += results.filter((r) => !r.allowed).length;
    }
    const held = isolates.reduce((sum, c) => sum + c.held(key, limit, W, now), 0);
    expect(allowed).toBeLessThanOrEqual(limit);
    // Every slot of the window was either served or is still held by an isolate: none lost.
    expect(allowed + held).toBe(limit);
    expect(refused).toBe(900 - allowed);
  });

  it("decide most requests locally: requests arriving one after another on two isolates", async () => {
    const { limiters, isolates, key, now } = twoIsolates();
    // 360 requests, fewer than the limit minus what two isolates may hold: none refused.
    for (let i = 0; i < 360; i++) expect((await isolates[i % 2]!.take(limiters.ns, key, 500, W, now)).allowed).toBe(true);
    expect(limiters.calls).toBeLessThan(360 / 10);
  });

  it("decide most requests locally under steady parallel load: concurrent one-slot asks do not shrink the next lease", async () => {
    const { limiters, client, key, now } = oneIsolate();
    // Ten requests always in flight (a publisher's ten connections): every time a lease is spent,
    // nine of them ask for their own slot while the first asks for the next lease.
    for (let wave = 0; wave < 60; wave++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => client.take(limiters.ns, key, 1_000_000, W, now)));
      expect(results.every((r) => r.allowed)).toBe(true);
    }
    expect(limiters.calls).toBeLessThan(600 / 4);
  });

  it("ask for full leases again after an ask that never settles (its request was cancelled)", async () => {
    const { limiters, client, key, now } = oneIsolate();
    // A request cancelled mid-ask: its call to the object never answers, its promise never settles.
    const hung = { getByName: () => ({ hit: () => new Promise<never>(() => {}) }) } as unknown as DurableObjectNamespace<RateLimiter>;
    void client.take(hung, key, 1_000_000, W, now);
    // Requests arriving one after another a little later are still served from full leases.
    const later = now + 2 * LEASE_TTL_MS;
    for (let i = 0; i < 100; i++) expect((await client.take(limiters.ns, key, 1_000_000, W, later + i)).allowed).toBe(true);
    expect(limiters.calls).toBeLessThan(100 / 10);
  });

  it("serve a refused ask from a lease a concurrent ask of the same isolate brought back", async () => {
    const limiters = countingLimiters();
    const client = new LeaseClient();
    const key = freshKey();
    const limit = 500;
    const now = base();
    // A burst on a new key: every request asks at once; the first asks for a full lease, the
    // others for one slot each, and none is refused while the isolate holds slots.
    const results = await Promise.all(Array.from({ length: 60 }, () => client.take(limiters.ns, key, limit, W, now)));
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(60 + client.held(key, limit, W, now)).toBeLessThanOrEqual(limit);
  });

  it("ask the object for every request near the limit, so small limits behave as without leases", async () => {
    const limiters = countingLimiters();
    const client = new LeaseClient();
    const key = freshKey();
    const limit = LEASE_SHARE;
    const now = base();
    const results = [];
    for (let i = 0; i < limit + 5; i++) results.push(await client.take(limiters.ns, key, limit, W, now));
    expect(results.filter((r) => r.allowed)).toHaveLength(limit);
    expect(limiters.calls).toBe(limit + 5);
  });

  it("report the exact remaining count from one isolate, across lease grants", async () => {
    const client = new LeaseClient();
    const key = freshKey();
    const now = base();
    for (let i = 1; i <= 200; i++) {
      const r = await client.take(env.RATE_LIMITER, key, 3000, W, now + i);
      expect(r).toMatchObject({ allowed: true, remaining: 3000 - i, retryAfterSeconds: 0 });
      expect(r.resetSeconds).toBe(300);
    }
  });

  it("give unused slots back once the lease expires, so another isolate can use them", async () => {
    const [a, b] = [new LeaseClient(), new LeaseClient()];
    const key = freshKey();
    const limit = 400;
    const t0 = base();
    let served = 0;
    for (let i = 0; i < 40; i++) if ((await a.take(env.RATE_LIMITER, key, limit, W, t0)).allowed) served += 1;
    const unused = a.held(key, limit, W, t0);
    expect(unused).toBeGreaterThan(0);
    // After the lease's lifetime, a's next request hands them back...
    const t1 = t0 + LEASE_TTL_MS;
    expect(a.held(key, limit, W, t1)).toBe(0);
    if ((await a.take(env.RATE_LIMITER, key, limit, W, t1)).allowed) served += 1;
    // ...and b can then be served every slot not used or still held by a.
    for (;;) {
      const r = await b.take(env.RATE_LIMITER, key, limit, W, t1);
      if (!r.allowed) break;
      served += 1;
    }
    expect(served + a.held(key, limit, W, t1) + b.held(key, limit, W, t1)).toBe(limit);
  });

  it("refill a busy key's lease before it runs out, in the background, so parallel requests do not each ask", async () => {
    const { limiters, client, key, now } = oneIsolate();
    // The middleware passes each request's waitUntil; here the refills are collected and awaited
    // between waves, as a request's waitUntil runs on after its answer.
    const refills: Promise<unknown>[] = [];
    const background = (p: Promise<unknown>) => void refills.push(p);
    for (let wave = 0; wave < 60; wave++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => client.take(limiters.ns, key, 1_000_000, W, now, background)));
      expect(results.every((r) => r.allowed)).toBe(true);
      await Promise.all(refills.splice(0));
    }
    // The first wave asks eleven times (a full lease, nine one-slot asks); then one refill per lease
    // of 64. Without refills every spent lease made all ten requests of its wave ask (~100 calls).
    expect(limiters.calls).toBeLessThan(600 / 20);
  });

  it("report the exact remaining count from one isolate across refills", async () => {
    const client = new LeaseClient();
    const key = freshKey();
    const now = base();
    const refills: Promise<unknown>[] = [];
    for (let i = 1; i <= 200; i++) {
      const r = await client.take(env.RATE_LIMITER, key, 3000, W, now + i, (p) => void refills.push(p));
      expect(r).toMatchObject({ allowed: true, remaining: 3000 - i, retryAfterSeconds: 0 });
      await Promise.all(refills.splice(0));
    }
    expect(refills).toHaveLength(0);
  });

  it("never let two isolates together past the limit with refills under way", async () => {
    const { limiters, isolates, key, now } = twoIsolates();
    const limit = 500;
    const refills: Promise<unknown>[] = [];
    let allowed = 0;
    for (let wave = 0; wave < 15; wave++) {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => isolates[i % 2]!.take(limiters.ns, key, limit, W, now, (p) => void refills.push(p))),
      );
      allowed += results.filter((r) => r.allowed).length;
    }
    await Promise.all(refills);
    expect(refills.length).toBeGreaterThan(0);
    expect(allowed).toBeLessThanOrEqual(limit);
    // Every slot of the window was served or is still held by an isolate: none lost, none twice.
    expect(allowed + isolates.reduce((sum, c) => sum + c.held(key, limit, W, now), 0)).toBe(limit);
  });

  it("count a refill's slots alone, no request of the caller's", async () => {
    const stub = env.RATE_LIMITER.getByName(freshKey());
    const t0 = base();
    const limit = 4 * LEASE_SHARE;
    const refill = await stub.hit(limit, 10_000, t0, { want: 4, ttlMs: 1_000, refill: true });
    expect(refill).toMatchObject({ allowed: true, remaining: limit - 4, lease: { granted: 4, sec: Math.floor((t0 + 1_000) / 1000) } });
    for (let i = 4; i < limit; i++) expect((await stub.hit(limit, 10_000, t0)).allowed).toBe(true);
    expect((await stub.hit(limit, 10_000, t0)).allowed).toBe(false);
    // At the limit a refill is refused like a request, with no slot.
    expect(await stub.hit(limit, 10_000, t0, { want: 4, ttlMs: 1_000, refill: true })).toMatchObject({ allowed: false });
    // A window after t0 only the plain hits have left: all four of the refill's slots are counted
    // until a window after the lease's end (a request counted with it would have left at t0's).
    const later = [];
    for (let i = 0; i < limit; i++) later.push(await stub.hit(limit, 10_000, t0 + 10_000));
    expect(later.filter((r) => r.allowed)).toHaveLength(limit - 4);
  });

  it("count a lease's slots until a window after the latest moment they may be used", async () => {
    const stub = env.RATE_LIMITER.getByName(freshKey());
    const t0 = base();
    const limit = 4 * LEASE_SHARE;
    const first = await stub.hit(limit, 10_000, t0, { want: 4, ttlMs: 1_000 });
    expect(first.lease).toEqual({ granted: 4, sec: Math.floor((t0 + 1_000) / 1000) });
    expect(first.remaining).toBe(limit - 4);
    for (let i = 4; i < limit; i++) expect((await stub.hit(limit, 10_000, t0)).allowed).toBe(true);
    expect((await stub.hit(limit, 10_000, t0)).allowed).toBe(false);
    // The request's own slot and the plain hits free a window after t0; the leased three only a
    // window after the lease's end, as the isolate may have used them until then.
    expect((await stub.hit(limit, 10_000, t0 + 10_000)).allowed).toBe(true);
    expect(await stub.hit(limit, 10_000, t0 + 10_000)).toMatchObject({ allowed: true, remaining: limit - 3 - 2 });
    const full = [];
    for (let i = 0; i < limit; i++) full.push(await stub.hit(limit, 10_000, t0 + 10_000));
    expect(full.filter((r) => r.allowed)).toHaveLength(limit - 3 - 2);
    expect((await stub.hit(limit, 10_000, t0 + 11_000)).allowed).toBe(true);
  });
});
