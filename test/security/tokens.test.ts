import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { jwtKey, LOCAL_DEMO_JWT_SECRET } from "../../src/auth/tokens";
import { bearer, DEMO, form, json } from "../helpers";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";
import { PRODUCTION } from "./production-env";

// Access tokens: signing key, algorithm and claims (issue 7 "Tokens").
const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const now = () => Math.floor(Date.now() / 1000);
const ip = () => ({ "CF-Connecting-IP": freshIp() });

interface Claims {
  alg?: string;
  key?: Uint8Array;
  iss?: string;
  aud?: string;
  exp?: number | null;
  iat?: number | null;
  sub?: string;
}

// The deployment's real secret in these tests, set explicitly: a fresh clone has no .dev.vars.
const SECRET = "test-only-jwt-secret-".padEnd(48, "x");
const KEY = new TextEncoder().encode(SECRET);

/** An admin token like the Worker's own, with one thing changed. */
async function token(c: Claims = {}): Promise<string> {
  const t = now();
  const jwt = new SignJWT({ usr: DEMO.admin.username, role: "admin", pub: null, ent: "acme" })
    .setProtectedHeader({ alg: c.alg ?? "HS256", typ: "JWT" })
    .setSubject(c.sub ?? String(DEMO.admin.id))
    .setIssuer(c.iss ?? "leadflare:acme")
    .setAudience(c.aud ?? "leadflare-api");
  if (c.iat !== null) jwt.setIssuedAt(c.iat ?? t);
  if (c.exp !== null) jwt.setExpirationTime(c.exp ?? t + 600);
  return jwt.sign(c.key ?? KEY);
}

// A route that needs an admin token and otherwise answers from the token alone.
const v4Call = (tok: string, vars = {}) =>
  fetchWith({ JWT_SECRET: SECRET, ...vars }, "/api/v4/users/167/change-password", json({}, "POST", { ...bearer(tok), ...ip() }));
const publisherCall = (tok: string) =>
  fetchWith({ JWT_SECRET: SECRET }, "/api/v2.4/publisher/links/601", { headers: { ...bearer(tok), ...ip() } });

async function refreshTokenCount(): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM refresh_tokens").first<{ n: number }>())!.n;
}

describe("access tokens", () => {
  it("a well-formed token is accepted (so the refusals below are about the one change)", async () => {
    const res = await v4Call(await token());
    expect(res.status).not.toBe(401);
    expect((await publisherCall(await token())).status).not.toBe(401);
  });

  const refused: [string, () => Promise<string>][] = [
    ["wrong issuer (another enterprise)", () => token({ iss: "leadflare:agency" })],
    ["wrong audience", () => token({ aud: "someone-else" })],
    ["no exp", () => token({ exp: null })],
    ["no iat", () => token({ iat: null })],
    ["expired", () => token({ iat: now() - 7200, exp: now() - 3600 })],
    ["HS512 signed with the real key", () => token({ alg: "HS512", key: KEY })],
    ["another key", () => token({ key: new TextEncoder().encode("x".repeat(40)) })],
    ["the demo key when a real secret is set", () => token({ key: new TextEncoder().encode(LOCAL_DEMO_JWT_SECRET) })],
    [
      "alg none",
      async () => `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "167", role: "admin", iss: "leadflare:acme", aud: "leadflare-api", iat: now(), exp: now() + 600 })}.`,
    ],
    [
      "a valid signature over a tampered payload",
      async () => {
        const [h, , s] = (await token({ sub: String(DEMO.northwind.id) })).split(".");
        return `${h}.${b64url({ sub: "167", role: "admin", usr: "x", iss: "leadflare:acme", aud: "leadflare-api", iat: now(), exp: now() + 600 })}.${s}`;
      },
    ],
  ];
  for (const [name, make] of refused) {
    it(`refuses a token with ${name}`, async () => {
      const tok = await make();
      const v4 = await v4Call(tok);
      expect(v4.status).toBe(401);
      expect(((await v4.json()) as Record<string, string>)["hydra:description"]).toMatch(/^The access token provided (is invalid|has expired)\.$/);
      const pub = await publisherCall(tok);
      expect(pub.status).toBe(401);
      expect(await pub.json()).toMatchObject({ error: "invalid_grant" });
    });
  }
});

describe("outside local mode", () => {
  const misconfigured: [string, { JWT_SECRET?: string }][] = [
    ["no JWT_SECRET", { JWT_SECRET: undefined }],
    ["the demo key as JWT_SECRET", { JWT_SECRET: LOCAL_DEMO_JWT_SECRET }],
    ["a short JWT_SECRET", { JWT_SECRET: "short-secret" }],
  ];
  for (const [name, secret] of misconfigured) {
    it(`issues and accepts no token with ${name}, naming the setting but not its value`, async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      const vars = { ...PRODUCTION, ...secret };
      const before = await refreshTokenCount();
      const res = await fetchWith(vars, "/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }, ip()));
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toMatch(/JWT_SECRET/);
      expect(text).not.toMatch(/access_token|refresh_token/);
      if (secret.JWT_SECRET) expect(text).not.toContain(secret.JWT_SECRET);
      expect(await refreshTokenCount()).toBe(before);

      // Nor is any token accepted, not even one signed with the demo key.
      const demoSigned = await token({ key: new TextEncoder().encode(LOCAL_DEMO_JWT_SECRET) });
      expect((await v4Call(demoSigned, vars)).status).toBe(503);
      // Below the refusal, the signing key itself is never the demo key or a short one.
      expect(() => jwtKey({ ...env, ...vars })).toThrow(/JWT_SECRET/);
      vi.restoreAllMocks();
    });
  }

  it("works with a proper secret", async () => {
    const vars = { ...PRODUCTION, JWT_SECRET: "p".repeat(48) };
    const res = await fetchWith(vars, "/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }, ip()));
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect((await v4Call(access_token, vars)).status).not.toBe(401);
    // ...and that token means nothing to a deployment with another secret.
    expect((await v4Call(access_token)).status).toBe(401);
  });
});
