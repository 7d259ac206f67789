import { describe, expect, it } from "vitest";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";

// Rate limits served from per-isolate leases of slots (src/ratelimit/leases.ts, issue 17), through
// the Worker's HTTP handling: limits large enough that the isolate takes leases of many slots and
// refills them in the background. Two isolates sharing one limiter object are test/ratelimit/leases.test.ts's.

const remaining = (res: Response) => Number(/"total";r=(\d+)/.exec(res.headers.get("RateLimit") ?? "")?.[1]);
const hit = (limit: number, addr: string) =>
  fetchWith({ RATE_LIMIT_TOTAL: String(limit) }, "/no/such/route", { headers: { "CF-Connecting-IP": addr } });

describe("rate limits from leases, over HTTP", () => {
  it("count down by exactly one per request, one after another and in parallel waves, across lease grants and refills", async () => {
    const addr = freshIp();
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) seen.push(remaining(await hit(1000, addr)));
    for (let wave = 0; wave < 4; wave++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => hit(1000, addr)));
      expect(answers.every((r) => r.status === 404)).toBe(true);
      seen.push(...answers.map(remaining));
    }
    // Every request saw its own count: 999 down to 740, none twice, none skipped.
    expect([...seen].sort((a, b) => b - a)).toEqual(Array.from({ length: 260 }, (_, i) => 999 - i));
  });

  it("never serve past the limit under parallel load, the last slots included, and then say when to retry", async () => {
    const addr = freshIp();
    const limit = 300;
    const answers: Response[] = [];
    for (let wave = 0; wave < 8; wave++) answers.push(...(await Promise.all(Array.from({ length: 50 }, () => hit(limit, addr)))));
    const served = answers.filter((r) => r.status === 404);
    const refused = answers.filter((r) => r.status === 429);
    expect(served).toHaveLength(limit);
    expect(refused).toHaveLength(400 - limit);
    expect(served.map(remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: limit }, (_, i) => i));
    for (const r of refused) {
      expect(remaining(r)).toBe(0);
      expect(Number(r.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
  });
});
