import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hostLimiter, hostSlots, type OutboundHostLimiter, sharedLimiterCalls, withHostSlot } from "../../src/integrations/host-limiter";
import { wrappedLimiter } from "./helpers";

// A queue batch's workers ask a host's limiter for their slots in one call (sharedLimiterCalls).
// When the limiter applies that call but its answer is lost on the way back, the slots it granted
// must not be held for nobody until their leases run out (45 s of the host's concurrency): asked
// again, the limiter gives the same answers, and the workers go on with the slots they were given.
// So for a caller's call of its own.

/**
 * The limiter's `nth` acquire or more (alone or in calls()) applied, then thrown as if its answer
 * were lost; `restart`: the limiter restarts (a deploy, an eviction) before the caller asks again.
 */
function losingAnswerOf(nth: number, restart?: DurableObjectStub) {
  const lost = { count: 0, seen: 0 };
  const losing = wrappedLimiter(async (method, go) => {
    const answers = await go();
    if (method === "acquire" || method === "more" || method === "calls") {
      lost.seen += 1;
      if (lost.seen === nth) {
        lost.count += 1;
        if (restart) await evictDurableObject(restart);
        throw new Error("Network connection lost.");
      }
    }
    return answers;
  });
  return { lost, env: losing };
}

describe("the host limiter's shared call whose answer was lost after it applied", () => {
  it("gives its workers the slots it granted, and holds none for nobody", async () => {
    const host = "limiter-lost.example.test";
    const { lost, env: losing } = losingAnswerOf(1);
    const shared = sharedLimiterCalls(losing);
    const workers = [hostSlots(losing), hostSlots(losing), hostSlots(losing)];
    const ran: number[] = [];
    const results = await Promise.all(
      workers.map((slots, i) =>
        slots.run(host, async () => {
          ran.push(i);
          return i;
        }, 1, shared),
      ),
    );
    expect(lost.count).toBe(1);
    expect(results).toEqual([0, 1, 2].map((value) => ({ ok: true, value })));
    expect(ran.sort()).toEqual([0, 1, 2]);
    // Each worker holds its one slot, and no other is held.
    const limiter = hostLimiter(env, host);
    expect(await limiter.inUse()).toBe(3);
    expect(await limiter.started()).toBe(3);
    for (const slots of workers) await slots.release();
    expect(await limiter.inUse()).toBe(0);
  });
});

describe("the host limiter's lone call whose answer was lost after it applied", () => {
  it("acquire: the caller runs with the slot it was granted, and no other is held", async () => {
    const host = "limiter-lost-acquire.example.test";
    const { lost, env: losing } = losingAnswerOf(1);
    expect(await withHostSlot(losing, host, async () => hostLimiter(env, host).inUse())).toEqual({ ok: true, value: 1 });
    expect(lost.count).toBe(1);
    const limiter = hostLimiter(env, host);
    expect([await limiter.inUse(), await limiter.started()]).toEqual([0, 1]);
  });

  it("more: a kept slot's next run goes on, its requests counted once", async () => {
    const host = "limiter-lost-more.example.test";
    const { lost, env: losing } = losingAnswerOf(2);
    const slots = hostSlots(losing);
    expect((await slots.run(host, async () => null)).ok).toBe(true);
    expect(await slots.run(host, async () => "again", 2)).toEqual({ ok: true, value: "again" });
    expect(lost.count).toBe(1);
    const limiter = hostLimiter(env, host);
    expect([await limiter.inUse(), await limiter.started()]).toEqual([1, 3]);
    await slots.release();
    expect(await limiter.inUse()).toBe(0);
  });

  it("acquire, the limiter restarted before it was asked again: the slot granted is the one the caller runs with", async () => {
    const host = "limiter-lost-restart.example.test";
    const limiter = hostLimiter(env, host);
    const { lost, env: losing } = losingAnswerOf(1, limiter);
    expect(await withHostSlot(losing, host, async () => limiter.inUse())).toEqual({ ok: true, value: 1 });
    expect(lost.count).toBe(1);
    expect([await limiter.inUse(), await limiter.started()]).toEqual([0, 1]);
  });

  it("a limiter whose leases were stored before they named their request keeps them and goes on", async () => {
    const host = "limiter-old-leases.example.test";
    const limiter = hostLimiter(env, host);
    await runInDurableObject(limiter, (_: OutboundHostLimiter, state) => {
      state.storage.sql.exec("DROP TABLE leases");
      state.storage.sql.exec("CREATE TABLE leases (token TEXT PRIMARY KEY, expires_ts INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO leases (token, expires_ts) VALUES ('old', ?)", Date.now() + 60_000);
    });
    await evictDurableObject(limiter);
    const { env: losing } = losingAnswerOf(1);
    expect(await withHostSlot(losing, host, async () => limiter.inUse())).toEqual({ ok: true, value: 2 });
    expect(await limiter.inUse()).toBe(1);
  });
});
