import { describe, expect, it } from "vitest";
import { bearer, DEMO, form, loginAs } from "../helpers";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";
import { PRODUCTION } from "./production-env";

const SECURE = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function expectSecure(res: Response) {
  for (const [name, value] of Object.entries(SECURE)) expect(res.headers.get(name), name).toBe(value);
}

const ip = () => ({ "CF-Connecting-IP": freshIp() });

describe("secure headers", () => {
  it("are on every kind of response: success, client errors, unknown routes, 429 and 500", async () => {
    const token = await loginAs(DEMO.admin);
    const responses = {
      login: await fetchWith({}, "/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }, ip())),
      badLogin: await fetchWith({}, "/api/login", form({ username: "x", password: "y" }, ip())),
      v4Anonymous: await fetchWith({}, "/api/v4/campaigns", { headers: ip() }),
      v4Admin: await fetchWith({}, "/api/v4/campaigns", { headers: { ...bearer(token), ...ip() } }),
      publisherAnonymous: await fetchWith({}, "/api/v2.4/publisher/links/601", { headers: ip() }),
      unknown: await fetchWith({}, "/nothing/here", { headers: ip() }),
      misconfigured: await fetchWith({ RATE_LIMIT_TOTAL: "-1" }, "/nothing/here", { headers: ip() }),
    };
    const addr = freshIp();
    await fetchWith({ RATE_LIMIT_TOTAL: "1" }, "/nothing/here", { headers: { "CF-Connecting-IP": addr } });
    const limited = await fetchWith({ RATE_LIMIT_TOTAL: "1" }, "/nothing/here", { headers: { "CF-Connecting-IP": addr } });
    expect(limited.status).toBe(429);
    expect(responses.login.status).toBe(200);
    expect(responses.misconfigured.status).toBe(500);
    for (const [name, res] of Object.entries({ ...responses, limited })) {
      expect(res.status, name).toBeGreaterThan(0);
      expectSecure(res);
    }
  });

  it("send Strict-Transport-Security outside local mode only", async () => {
    const local = await fetchWith({}, "/nothing/here", { headers: ip() });
    expect(local.headers.get("strict-transport-security")).toBeNull();
    const production = await fetchWith(PRODUCTION, "/nothing/here", { headers: ip() });
    expect(production.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });
});

describe("CORS", () => {
  const preflight = (origin: string) => ({
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type", ...ip() },
  });

  it("answers preflights of the campaign webhook, exposing the rate-limit headers", async () => {
    const res = await fetchWith({}, "/webhook/campaign/601/links", preflight("https://landing.example"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-expose-headers")).toContain("Retry-After");
    expect(res.headers.get("access-control-expose-headers")).toContain("RateLimit");
  });

  it("allows only the configured origins", async () => {
    const vars = { CORS_ORIGINS: "https://landing.example, https://forms.example" };
    const good = await fetchWith(vars, "/webhook/campaign/601/links", { headers: { Origin: "https://forms.example", ...ip() } });
    expect(good.headers.get("access-control-allow-origin")).toBe("https://forms.example");
    expect(good.headers.get("vary")).toContain("Origin");
    const evil = await fetchWith(vars, "/webhook/campaign/601/links", { headers: { Origin: "https://evil.example", ...ip() } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const none = await fetchWith({ CORS_ORIGINS: "" }, "/webhook/campaign/601/links", { headers: { Origin: "https://landing.example", ...ip() } });
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets browsers read a 429 of the campaign webhook", async () => {
    const addr = freshIp();
    const init = { headers: { Origin: "https://landing.example", "CF-Connecting-IP": addr } };
    await fetchWith({ RATE_LIMIT_TOTAL: "1" }, "/webhook/campaign/601/links", init);
    const res = await fetchWith({ RATE_LIMIT_TOTAL: "1" }, "/webhook/campaign/601/links", init);
    expect(res.status).toBe(429);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual({ code: 429, message: "Too Many Requests" });
  });

  it("is answered nowhere else", async () => {
    const token = await loginAs(DEMO.admin);
    for (const path of ["/api/login", "/api/v4/campaigns", "/api/v2.4/publisher/links/601", "/api/webhook/validate/x", "/ajax/lead-append/x"]) {
      const pre = await fetchWith({}, path, preflight("https://landing.example"));
      expect(pre.headers.get("access-control-allow-origin"), path).toBeNull();
      expect(pre.headers.get("access-control-allow-methods"), path).toBeNull();
      const get = await fetchWith({}, path, { headers: { Origin: "https://landing.example", ...bearer(token), ...ip() } });
      expect(get.headers.get("access-control-allow-origin"), path).toBeNull();
    }
  });
});
