import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomHex, sha256Hex } from "../../src/auth/crypto";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import { DEMO, form } from "../helpers";
import { formBody, KEYS, leadsPath, SIMPLE } from "../publisher/support";
import { countingDb, fetchWith, freshIp } from "./app-fetch";

// Limits key only on verified principals (issue 11): a credential that does not verify counts
// under the client IP, and a verified one does not lift the IP's own budget.

const ip = (address: string) => ({ "CF-Connecting-IP": address });
const remaining = (res: Response, policy: string) =>
  Number(new RegExp(`"${policy}";r=(\\d+)`).exec(res.headers.get("RateLimit") ?? "")?.[1]);
const storedRows = async (name: string) =>
  runInDurableObject(env.RATE_LIMITER.getByName(name), (instance) => instance.size());

describe("made-up credentials", () => {
  it("get no budget of their own: a new API key per request still counts under the IP", async () => {
    const addr = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetchWith({ RATE_LIMIT_TOTAL: "3" }, "/x", { headers: { "X-Api-Key": randomHex(), ...ip(addr) } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
  });

  it("create no Durable Object under their hash, whatever the surface they name", async () => {
    const key = randomHex();
    await fetchWith({}, "/api/v2.4/publisher/links/601", { headers: { "X-Api-Key": key, ...ip(freshIp()) } });
    await fetchWith({}, `/webhook/campaign/601/links?apikey=${key}`, { headers: ip(freshIp()) });
    await fetchWith({}, "/api/webhook/validate/nothing", { method: "POST", headers: { "X-Webhook-Key": key, ...ip(freshIp()) } });
    expect(await storedRows(`total:apikey:${await sha256Hex(key)}`)).toBe(0);
  });

  it("a wrong enterprise webhook key counts under the IP, the right one across IPs", async () => {
    const vars = { WEBHOOK_KEY: "limiter-test-webhook-key-0123456789abcdef" };
    const addr = freshIp();
    const wrong = await fetchWith(vars, "/api/webhook/validate/nothing", { method: "POST", headers: { "X-Webhook-Key": "k-1", ...ip(addr) } });
    const anonymous = await fetchWith(vars, "/x", { headers: ip(addr) });
    expect(remaining(anonymous, "total")).toBe(remaining(wrong, "total") - 1);

    const one = await fetchWith(vars, "/api/webhook/validate/nothing", { method: "POST", headers: { "X-Webhook-Key": vars.WEBHOOK_KEY, ...ip(freshIp()) } });
    const two = await fetchWith(vars, `/api/webhook/validate/nothing?key=${vars.WEBHOOK_KEY}`, { method: "POST", headers: ip(freshIp()) });
    expect(remaining(two, "total")).toBe(remaining(one, "total") - 1);
  });
});

describe("verified credentials", () => {
  it("an API key a route has verified counts under its hash across IPs, and each IP keeps its own budget", async () => {
    const key = KEYS.agency601;
    // The publisher API checks the key against the database; from then on the limiter knows it.
    const verified = await fetchWith({}, "/api/v2.4/publisher/links/601", { headers: { "X-Api-Key": key, ...ip(freshIp()) } });
    expect(verified.status).toBe(200);
    const one = await fetchWith({}, "/x", { headers: { "X-Api-Key": key, ...ip(freshIp()) } });
    const two = await fetchWith({}, "/x", { headers: { "X-Api-Key": key, ...ip(freshIp()) } });
    expect(remaining(two, "total")).toBe(remaining(one, "total") - 1);
    expect(await storedRows(`total:apikey:${await sha256Hex(key)}`)).toBeGreaterThan(0);
    expect(await storedRows(`total:apikey:${key}`)).toBe(0);
    // The per-IP policy is reported too: 4 × the total unless RATE_LIMIT_IP says otherwise.
    expect(two.headers.get("RateLimit-Policy")).toBe('"total";q=3000;w=300, "ip";q=12000;w=300');
  });

  it("cannot lift one address's budget: the IP policy refuses once it is spent", async () => {
    const addr = freshIp();
    const vars = { RATE_LIMIT_IP: "2" };
    const capture = () =>
      fetchWith(vars, leadsPath(12, 35, 601), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": KEYS.northwind601, ...ip(addr) },
        body: formBody({ ...SIMPLE, email: `ip-budget-${randomHex(4)}@example.test` }),
      });
    // The first capture verifies the key (counted under the IP); the next two under the key and the IP.
    expect((await capture()).status).toBe(201);
    const second = await capture();
    expect(second.status).toBe(201);
    expect(second.headers.get("RateLimit-Policy")).toBe('"total";q=3000;w=300, "ip";q=2;w=300');
    expect((await capture()).status).toBe(201);
    const refused = await capture();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("RateLimit")).toContain('"ip";r=0');
    // Another address with the same key is not affected.
    const other = await fetchWith(vars, "/api/v2.4/publisher/links/601", { headers: { "X-Api-Key": KEYS.northwind601, ...ip(freshIp()) } });
    expect(other.status).toBe(200);
  });

  it("the campaign webhook key is read as the webhook reads it: ?apikey= before X-Api-Key", async () => {
    const key = await demoCampaignWebhookKey("acme", 601);
    expect((await fetchWith({}, `/webhook/campaign/601/links?apikey=${key}`, { headers: ip(freshIp()) })).status).toBe(200);
    // Each request also names a different made-up X-Api-Key: the limiter must ignore it, as the webhook does.
    const path = `/webhook/campaign/601/links?apikey=${key}`;
    const one = await fetchWith({}, path, { headers: { "X-Api-Key": randomHex(), ...ip(freshIp()) } });
    const two = await fetchWith({}, path, { headers: { "X-Api-Key": randomHex(), ...ip(freshIp()) } });
    expect(one.status).toBe(200);
    expect(remaining(two, "total")).toBe(remaining(one, "total") - 1);
  });
});

describe("cost", () => {
  it("the limiter reads no database: a keyed request that reaches no route makes no D1 call", async () => {
    const d1 = countingDb();
    await fetchWith({}, "/api/v2.4/publisher/links/601", { headers: { "X-Api-Key": KEYS.northwind601, ...ip(freshIp()) } });
    d1.calls = 0;
    for (const key of [KEYS.northwind601, randomHex()]) {
      const res = await fetchWith({ DB: d1.db }, "/x", { headers: { "X-Api-Key": key, ...ip(freshIp()) } });
      expect(res.status).toBe(404);
    }
    expect(d1.calls).toBe(0);
    // The counter does see the route's own reads.
    await fetchWith({ DB: d1.db }, "/api/v2.4/publisher/links/601", { headers: { "X-Api-Key": KEYS.northwind601, ...ip(freshIp()) } });
    expect(d1.calls).toBeGreaterThan(0);
  });
});

describe("client addresses", () => {
  it("an IPv6 client counts by its /64: cycling addresses inside it opens no new budget", async () => {
    const vars = { RATE_LIMIT_TOTAL: "2" };
    const a = await fetchWith(vars, "/x", { headers: ip("2001:db8:77:1::1") });
    const b = await fetchWith(vars, "/x", { headers: ip("2001:0db8:0077:0001:ffff:1:2:3") });
    const c = await fetchWith(vars, "/x", { headers: ip("2001:db8:77:1:abcd::9") });
    expect([a.status, b.status, c.status]).toEqual([404, 404, 429]);
    expect((await fetchWith(vars, "/x", { headers: ip("2001:db8:77:2::1") })).status).toBe(404);
  });
});

describe("when the limiter cannot answer", () => {
  const broken = { getByName: () => ({ hit: () => Promise.reject(new Error("object unreachable")) }) } as never;
  const quietly = async <T>(f: () => Promise<T>): Promise<T> => {
    const original = console.error;
    console.error = () => {};
    try {
      return await f();
    } finally {
      console.error = original;
    }
  };

  it("login, MFA and password reset fail closed with 503", async () => {
    const requests: [string, RequestInit][] = [
      ["/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password })],
      ["/api/login", form({ username: "mfa@acme.test", password: "x", mfa_token: "t", mfa_code: "123456" })],
      ["/api/password-reset", form({ username: DEMO.admin.username })],
      ["/api/password-reset/confirm", form({ username: DEMO.admin.username, code: "12345678", newPassword: "a-long-new-password" })],
    ];
    for (const [path, init] of requests) {
      const res = await quietly(() => fetchWith({ RATE_LIMITER: broken }, path, init));
      expect(res.status, path).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("30");
      expect(await res.json()).toEqual({
        error: "temporarily_unavailable",
        error_description: "Sign-in is temporarily unavailable; try again shortly.",
      });
    }
  });

  it("lead capture stays open", async () => {
    const res = await quietly(() =>
      fetchWith({ RATE_LIMITER: broken }, leadsPath(12, 35, 601), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": KEYS.northwind601 },
        body: formBody({ ...SIMPLE, email: "limiter-down@example.test" }),
      }),
    );
    expect(res.status).toBe(201);
  });
});
