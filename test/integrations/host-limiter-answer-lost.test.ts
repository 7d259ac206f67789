import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hostLimiter, hostSlots, sharedLimiterCalls } from "../../src/integrations/host-limiter";
import { wrappedLimiter } from "./helpers";

// A queue batch's workers ask a host's limiter for their slots in one call (sharedLimiterCalls).
// When the limiter applies that call but its answer is lost on the way back, the slots it granted
// must not be held for nobody until their leases run out (45 s of the host's concurrency): asked
// again, the limiter gives the same answers, and the workers go on with the slots they were given.

/** The limiter's first calls() applied, then thrown as if its answer were lost. */
function losingFirstAnswer() {
  const lost = { count: 0 };
  const losing = wrappedLimiter(async (method, go) => {
    const answers = await go();
    if (method === "calls" && lost.count === 0) {
      lost.count += 1;
      throw new Error("Network connection lost.");
    }
    return answers;
  });
  return { lost, env: losing };
}

describe("the host limiter's shared call whose answer was lost after it applied", () => {
  it("gives its workers the slots it granted, and holds none for nobody", async () => {
    const host = "limiter-lost.example.test";
    const { lost, env: losing } = losingFirstAnswer();
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
