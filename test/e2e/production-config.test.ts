import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import * as direct from "../../scripts/lib/direct.mjs";
// @ts-ignore -- as above
import { ROOT } from "../../scripts/lib/enterprise.mjs";
import { LOCAL_DEMO_JWT_SECRET } from "../../src/auth/tokens";

// What a bare `wrangler deploy` produces: the bundle `wrangler deploy` uploads, served on workerd
// with the bindings and vars of wrangler.toml's top level (not [env.dev]). Without its own
// settings it serves nothing; with them it refuses the demo key, has no dev outbox, calls no
// private address and answers no browser origin.

const PORT = 18993;
const URL_ = `http://127.0.0.1:${PORT}`;
const DEPLOYED = {
  ENTERPRISE: "acme",
  BASE_URL: "https://leads.acme.example",
  JWT_SECRET: "e2e-production-jwt-secret-".padEnd(48, "j"),
  WEBHOOK_KEY: "e2e-production-webhook-key-".padEnd(48, "w"),
};

type Mf = { dispose(): Promise<void> };
let root: string;
let script: string;

/** What the Worker logged (what `wrangler tail` shows of a deployment). */
const logged: { level: string; message: string }[] = [];
const start = (name: string, vars: Record<string, string>): Promise<Mf> =>
  direct.startDirect({ script, persistTo: join(root, name), port: PORT, environment: "", vars, noConsumers: true, onLog: (l: { level: string; message: string }) => logged.push(l) });

const login = () =>
  fetch(`${URL_}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "admin@acme.test", password: "acme-admin-2026!" }).toString(),
  });

// workerd loads the script relative to the project: the bundle goes under it.
const BUNDLE_DIR = `.wrangler/tmp/production-config-${process.pid}`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "leadflare-production-"));
  script = await direct.bundle("wrangler.toml", BUNDLE_DIR);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(join(ROOT, BUNDLE_DIR), { recursive: true, force: true });
});

describe("wrangler.toml's top level, deployed as it is", () => {
  let mf: Mf;
  beforeAll(async () => {
    mf = await start("bare", {});
  });
  afterAll(() => mf?.dispose());

  it("refuses to serve, says which settings are missing, and logs it", async () => {
    const message =
      "leadflare is not configured for this deployment: ENTERPRISE is not set; BASE_URL is not set; " +
      "JWT_SECRET is not set; WEBHOOK_KEY is not set.";
    for (const path of ["/api/login", "/__dev/outbox", "/api/v4/campaigns"]) {
      const res = await fetch(URL_ + path);
      expect(res.status, path).toBe(503);
      expect(await res.json(), path).toEqual({ code: 503, message });
    }
    expect(logged.filter((l) => l.message.includes(message))).toHaveLength(3);
    expect(logged.find((l) => l.message.includes(message))?.level).toBe("error");
  });
});

describe("wrangler.toml's top level with the deployment's own vars and secrets", () => {
  let mf: Mf;
  beforeAll(async () => {
    mf = await start("configured", DEPLOYED);
    await direct.loadDemoState(mf, "acme", { acme: DEPLOYED.BASE_URL, agency: "https://agency.example" });
  });
  afterAll(() => mf?.dispose());

  it("serves logins, over HSTS, with nothing to complain about", async () => {
    logged.length = 0;
    const res = await login();
    expect(res.status).toBe(200);
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(logged.filter((l) => l.message.includes("not configured"))).toEqual([]);
  });

  it("refuses a token signed with the public demo key", async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ usr: "admin@acme.test", role: "admin", pub: null, ent: "acme" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject("167")
      .setIssuer("leadflare:acme")
      .setAudience("leadflare-api")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(LOCAL_DEMO_JWT_SECRET));
    const res = await fetch(`${URL_}/api/v4/campaigns`, { headers: { Authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });

  it("has no dev outbox", async () => {
    const res = await fetch(`${URL_}/__dev/outbox`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: "Not Found" });
  });

  it("calls no loopback or private address", async () => {
    // A sync-tag subscription names the URL this Worker will call back; the fixture's API key of
    // campaign 601 / publisher 13. A public https URL passes the policy (then: no such lead).
    const subscribe = (callbackUrl: string) =>
      fetch(`${URL_}/api/sync/subscriptions`, {
        method: "POST",
        headers: { "X-Api-Key": "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", "Content-Type": "application/json" },
        body: JSON.stringify({ leadId: 999999, callbackUrl, secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}` }),
      });
    expect((await subscribe("https://agency.example/api/webhook/sync")).status).toBe(404);
    for (const callbackUrl of ["https://127.0.0.1:8788/api/webhook/sync", "https://10.0.0.7/", "https://localhost/", "http://agency.example/"]) {
      const res = await subscribe(callbackUrl);
      expect(res.status, callbackUrl).toBe(400);
      expect(await res.text(), callbackUrl).toMatch(/callbackUrl: (Calls to private, loopback or link-local addresses|Only https URLs)/);
    }
  });

  it("answers no browser origin on the campaign webhook", async () => {
    const res = await fetch(`${URL_}/webhook/campaign/601/links`, {
      method: "OPTIONS",
      headers: { Origin: "https://landing.example", "Access-Control-Request-Method": "POST" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
