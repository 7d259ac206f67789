import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LOCAL_DEMO_JWT_SECRET } from "../../src/auth/tokens";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import { DEMO, form } from "../helpers";
import { formBody, SIMPLE } from "../publisher/support";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";
import { PRODUCTION } from "./production-env";

// Outside local mode the Worker refuses to serve until its public origin and secrets are real:
// every request gets a 503 naming what to fix (never a value), and the same line is logged.
const ip = () => ({ "CF-Connecting-IP": freshIp() });
const leadCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM leads").first<{ n: number }>())!.n;

afterEach(() => vi.restoreAllMocks());

describe("a deployment that is not configured", () => {
  const cases: [string, Record<string, string | undefined>, string][] = [
    ["a loopback BASE_URL", { BASE_URL: "http://127.0.0.1:8787" }, "BASE_URL points at a loopback or private address"],
    ["a localhost BASE_URL", { BASE_URL: "https://localhost" }, "BASE_URL points at a loopback or private address"],
    ["a private BASE_URL", { BASE_URL: "https://10.0.0.5" }, "BASE_URL points at a loopback or private address"],
    ["an http BASE_URL", { BASE_URL: "http://leads.acme.example" }, "BASE_URL is not an https URL"],
    ["no BASE_URL", { BASE_URL: "" }, "BASE_URL is not set"],
    ["a relative BASE_URL", { BASE_URL: "leads.acme.example" }, "BASE_URL is not an absolute URL"],
    ["no ENTERPRISE", { ENTERPRISE: "" }, "ENTERPRISE is not set"],
    ["no JWT_SECRET", { JWT_SECRET: undefined }, "JWT_SECRET is not set"],
    ["a short JWT_SECRET", { JWT_SECRET: "s".repeat(31) }, "JWT_SECRET is shorter than 32 characters"],
    ["the demo key as JWT_SECRET", { JWT_SECRET: LOCAL_DEMO_JWT_SECRET }, "JWT_SECRET is the public demo key"],
    ["no WEBHOOK_KEY", { WEBHOOK_KEY: undefined }, "WEBHOOK_KEY is not set"],
    ["a short WEBHOOK_KEY", { WEBHOOK_KEY: "w".repeat(31) }, "WEBHOOK_KEY is shorter than 32 characters"],
  ];
  for (const [name, overrides, problem] of cases) {
    it(`answers 503 naming ${name}, and logs it`, async () => {
      const logged = vi.spyOn(console, "error").mockImplementation(() => {});
      const vars = { ...PRODUCTION, ...overrides };
      const res = await fetchWith(vars, "/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }, ip()));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: number; message: string };
      expect(body).toEqual({ code: 503, message: `leadflare is not configured for this deployment: ${problem}.` });
      expect(logged).toHaveBeenCalledWith(body.message);
      for (const value of Object.values(overrides)) if (value && value.length > 8) expect(body.message).not.toContain(value);
    });
  }

  it("names every problem at once, with no secret value in the answer", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await fetchWith({ ...PRODUCTION, BASE_URL: "http://localhost:8787", JWT_SECRET: "short", WEBHOOK_KEY: undefined }, "/nothing", { headers: ip() });
    const text = await res.text();
    expect(JSON.parse(text).message).toBe(
      "leadflare is not configured for this deployment: BASE_URL points at a loopback or private address; " +
        "JWT_SECRET is shorter than 32 characters; WEBHOOK_KEY is not set.",
    );
    expect(text).not.toContain(PRODUCTION.JWT_SECRET);
  });

  it("serves nothing: no capture, no API, no dev outbox, with the secure headers still on", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const vars = { ...PRODUCTION, JWT_SECRET: undefined };
    const before = await leadCount();
    const responses = [
      await fetchWith(vars, await captureUrl(), capture()),
      await fetchWith(vars, "/api/v4/campaigns", { headers: ip() }),
      await fetchWith(vars, "/__dev/outbox", { headers: ip() }),
      await fetchWith(vars, "/api/webhook/invalidate/0123456789abcdef0123456789abcdef", { method: "POST", headers: ip() }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("strict-transport-security")).not.toBeNull();
    }
    expect(await leadCount()).toBe(before);
  });
});

// A lead posted to the campaign webhook, as a landing page would.
const captureUrl = async () => `/webhook/campaign/601/global-form/35/leads?apikey=${await demoCampaignWebhookKey("acme", 601)}&campaignLinkId=25&publisherId=13`;
const capture = () => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded", ...ip() },
  body: formBody(SIMPLE, [["form[submit]", "1"]]),
});

describe("a configured deployment", () => {
  it("serves, and logs no configuration error", async () => {
    const logged = vi.spyOn(console, "error");
    const before = await leadCount();
    expect((await fetchWith(PRODUCTION, await captureUrl(), capture())).status).toBe(201);
    expect(await leadCount()).toBe(before + 1);
    const res = await fetchWith(PRODUCTION, "/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }, ip()));
    expect(res.status).toBe(200);
    expect((await fetchWith(PRODUCTION, "/nothing/here", { headers: ip() })).status).toBe(404);
    expect(logged).not.toHaveBeenCalled();
  });
});

describe("local mode", () => {
  it("needs no secrets and serves on a loopback BASE_URL", async () => {
    const res = await fetchWith(
      { ENVIRONMENT: "local", BASE_URL: "http://127.0.0.1:8787", JWT_SECRET: undefined, WEBHOOK_KEY: undefined },
      "/api/login",
      form({ username: DEMO.admin.username, password: DEMO.admin.password }, ip()),
    );
    expect(res.status).toBe(200);
  });
});
