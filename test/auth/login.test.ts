import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { clearSmsCooldown, lastCodeFor } from "./support";

describe("POST /api/login with a password", () => {
  it("returns the documented token response for a url-encoded body", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await call("/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      expires_in: 3600,
      token_type: "bearer",
      scope: null,
      user_id: 167,
      password_expired: false,
    });
    // The enterprise's OAuth client id, the same one /api/v4/oauth-clients shows admins.
    const clients = await call("/api/v4/oauth-clients", { headers: bearer(body.access_token as string) });
    const [client] = ((await clients.json()) as { "hydra:member": { clientId: string }[] })["hydra:member"];
    expect(body.client_id).toBe(client!.clientId);
    expect(body.client_id).toMatch(/^1_[0-9a-f]{32}$/);
    expect(body).not.toHaveProperty("client_secret");
    expect(typeof body.refresh_token).toBe("string");
    expect(body.expires_ts).toBeGreaterThanOrEqual(before + 3600);
    const claims = decodeJwt(body.access_token as string);
    expect(claims).toMatchObject({ sub: "167", role: "admin", ent: "acme", iss: "leadflare:acme", aud: "leadflare-api" });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it("accepts JSON and ties a publisher user's token to its publisher", async () => {
    const res = await call("/api/login", json({ username: DEMO.northwind.username, password: DEMO.northwind.password }));
    expect(res.status).toBe(200);
    const claims = decodeJwt(((await res.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ role: "publisher", pub: 12 });
  });

  it("answers a wrong password and an unknown user identically", async () => {
    const wrong = await call("/api/login", form({ username: DEMO.admin.username, password: "nope" }));
    const unknown = await call("/api/login", form({ username: "ghost@acme.test", password: "nope" }));
    const expected = { error: "invalid_grant", error_description: "Invalid username and password combination" };
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(await wrong.json()).toEqual(expected);
    expect(await unknown.json()).toEqual(expected);
  });

  it("refuses missing fields, bad JSON and unsupported content types", async () => {
    const missing = await call("/api/login", form({ username: DEMO.admin.username }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: "invalid_request", error_description: "Missing username or password" });

    const badJson = await call("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toBe("invalid_request");

    const text = await call("/api/login", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" });
    expect(text.status).toBe(415);

    const arrayValue = await call("/api/login", json({ username: [DEMO.admin.username], password: DEMO.admin.password }));
    expect(arrayValue.status).toBe(400);

    const badGrant = await call("/api/login", form({ grant_type: "client_credentials" }));
    expect(await badGrant.json()).toMatchObject({ error: "unsupported_grant_type" });
  });
});

describe("access tokens on other routes", () => {
  it("rejects a malformed token and an expired token with the documented bodies", async () => {
    const bad = await call("/api/v4/users/167/change-password", json({}, "POST", bearer("not-a-jwt")));
    expect(bad.status).toBe(401);
    const { SignJWT } = await import("jose");
    const { jwtKey } = await import("../../src/auth/tokens");
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: "admin", usr: "admin@acme.test", ent: "acme" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("167")
      .setIssuer("leadflare:acme")
      .setAudience("leadflare-api")
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(jwtKey(env));
    const res = await call("/api/v4/users/167/change-password", json({}, "POST", bearer(expired)));
    expect(res.status).toBe(401);
    expect(((await res.json()) as Record<string, string>)["hydra:description"]).toBe(
      "The access token provided has expired.",
    );
  });

  it("rejects a token signed with another algorithm (alg pinned to HS256)", async () => {
    const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
    const payload = btoa(JSON.stringify({ sub: "167", role: "admin", iss: "leadflare:acme", aud: "leadflare-api" })).replace(/=+$/, "");
    const res = await call("/api/v4/users/167/change-password", json({}, "POST", bearer(`${header}.${payload}.`)));
    expect(res.status).toBe(401);
  });
});

describe("refresh tokens", () => {
  it("rotate: a refresh token works once, and a replay revokes the family", async () => {
    const first = (await (await call("/api/login", form(DEMO.admin))).json()) as { refresh_token: string };
    const second = await call("/api/login", form({ grant_type: "refresh_token", refresh_token: first.refresh_token }));
    expect(second.status).toBe(200);
    const rotated = (await second.json()) as { refresh_token: string; access_token: string };
    expect(rotated.refresh_token).not.toBe(first.refresh_token);

    const replay = await call("/api/login", form({ grant_type: "refresh_token", refresh_token: first.refresh_token }));
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });

    // The replay revoked the rotated token too.
    const afterReplay = await call("/api/login", form({ grant_type: "refresh_token", refresh_token: rotated.refresh_token }));
    expect(afterReplay.status).toBe(400);
  });

  it("refuses an unknown or missing refresh token", async () => {
    expect((await call("/api/login", form({ grant_type: "refresh_token", refresh_token: "nope" }))).status).toBe(400);
    const missing = await call("/api/login", form({ grant_type: "refresh_token" }));
    expect(await missing.json()).toEqual({ error: "invalid_request", error_description: "Missing refresh_token" });
  });
});

describe("SMS multi-factor authentication", () => {
  // Each test starts its own challenge; one SMS per telephone per minute would refuse the next.
  beforeEach(() => clearSmsCooldown(DEMO.mfaAdmin.telephone));

  it("asks for a code, sends it by SMS, and issues a token for the right code", async () => {
    const first = await call("/api/login", form(DEMO.mfaAdmin));
    expect(first.status).toBe(401);
    const challenge = (await first.json()) as Record<string, string>;
    expect(challenge).toMatchObject({ error: "Mfa Required", error_description: "Multifactor authentication required" });
    expect(challenge.mfa_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    const code = await lastCodeFor(DEMO.mfaAdmin.telephone);
    expect(code).toMatch(/^\d{6}$/);
    const second = await call("/api/login", form({ ...DEMO.mfaAdmin, mfa_token: challenge.mfa_token!, mfa_code: code }));
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ user_id: 168, token_type: "bearer" });

    // Single use.
    const again = await call("/api/login", form({ ...DEMO.mfaAdmin, mfa_token: challenge.mfa_token!, mfa_code: code }));
    expect(again.status).toBe(400);
  });

  it("rejects a wrong code and kills the challenge after five wrong codes", async () => {
    const { mfa_token } = (await (await call("/api/login", form(DEMO.mfaAdmin))).json()) as { mfa_token: string };
    const code = await lastCodeFor(DEMO.mfaAdmin.telephone);
    const wrongCode = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) {
      const res = await call("/api/login", form({ ...DEMO.mfaAdmin, mfa_token, mfa_code: wrongCode }));
      expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "Invalid MFA code" });
    }
    const exhausted = await call("/api/login", form({ ...DEMO.mfaAdmin, mfa_token, mfa_code: code }));
    expect(exhausted.status).toBe(400);
    expect(((await exhausted.json()) as { error_description: string }).error_description).toMatch(/expired/);
  });

  it("rejects an expired code", async () => {
    const { mfa_token } = (await (await call("/api/login", form(DEMO.mfaAdmin))).json()) as { mfa_token: string };
    const code = await lastCodeFor(DEMO.mfaAdmin.telephone);
    await env.DB.prepare("UPDATE mfa_challenges SET expires_ts = ?").bind(Date.now() - 1).run();
    const res = await call("/api/login", form({ ...DEMO.mfaAdmin, mfa_token, mfa_code: code }));
    expect(res.status).toBe(400);
  });

  it("still requires the password on the second call", async () => {
    const { mfa_token } = (await (await call("/api/login", form(DEMO.mfaAdmin))).json()) as { mfa_token: string };
    const code = await lastCodeFor(DEMO.mfaAdmin.telephone);
    const res = await call("/api/login", form({ username: DEMO.mfaAdmin.username, password: "wrong", mfa_token, mfa_code: code }));
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: "Invalid username and password combination" });
  });
});

describe("stored credentials", () => {
  it("keeps passwords as salted PBKDF2-SHA256 hashes with at least 100,000 iterations", async () => {
    const rows = await env.DB.prepare("SELECT password_hash AS h FROM users").all<{ h: string }>();
    const salts = new Set<string>();
    for (const { h } of rows.results) {
      const [scheme, iterations, salt] = h.split("$");
      expect(scheme).toBe("pbkdf2-sha256");
      expect(Number(iterations)).toBeGreaterThanOrEqual(100_000);
      salts.add(salt!);
      expect(h).not.toContain("2026!");
    }
    expect(salts.size).toBe(rows.results.length);
  });

  it("keeps only hashes of refresh tokens", async () => {
    const { refresh_token } = (await (await call("/api/login", form(DEMO.admin))).json()) as { refresh_token: string };
    const found = await env.DB.prepare("SELECT count(*) AS n FROM refresh_tokens WHERE id = ?").bind(refresh_token).first<{ n: number }>();
    expect(found!.n).toBe(0);
  });

  it("serves a usable token to loginAs", async () => {
    expect(await loginAs(DEMO.northwind)).toMatch(/^ey/);
  });
});
