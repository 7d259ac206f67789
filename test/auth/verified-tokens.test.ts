import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken, VERIFIED_TOKEN_MAX, verifyAccessToken } from "../../src/auth/tokens";
import type { Env } from "../../src/env";
import { hashPassword } from "../../src/auth/password";
import { bearer, call, DEMO, json, loginAs } from "../helpers";

// An isolate keeps the access tokens it verified (src/auth/tokens.ts). What a kept token may not
// change: an expired token is refused as expired, a token is accepted only under the key and
// issuer it was verified with, a revoked session is refused, and no caller sees another's changes.

const PASSWORD = "verified-tokens-password-2026";
const user = { id: 7001, username: "kept@acme.test", role: "publisher" as const, publisherId: 12, tokenVersion: 3 };

describe("verified access tokens kept per isolate", () => {
  it("a kept token is refused as expired from its exp on, as jose refuses it", async () => {
    const issuedAt = Date.now();
    const { token, expiresTs } = await issueAccessToken(env, user, false, issuedAt);
    expect(expiresTs).toBe(Math.floor(issuedAt / 1000) + ACCESS_TOKEN_TTL_SECONDS);
    expect((await verifyAccessToken(env, token)).principal).toMatchObject({ userId: 7001, publisherId: 12 });
    // Verified again (from the kept entry) a millisecond before its exp: still valid.
    expect((await verifyAccessToken(env, token, expiresTs * 1000 - 1)).tokenVersion).toBe(3);
    await expect(verifyAccessToken(env, token, expiresTs * 1000)).rejects.toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("a kept token is not accepted under another key or another enterprise", async () => {
    const { token } = await issueAccessToken(env, user, false);
    await verifyAccessToken(env, token);
    const otherKey = { ...env, JWT_SECRET: "another-local-secret-of-at-least-32-characters" } as Env;
    await expect(verifyAccessToken(otherKey, token)).rejects.toMatchObject({ code: "TOKEN_INVALID" });
    const otherEnterprise = { ...env, ENTERPRISE: "agency" } as Env;
    await expect(verifyAccessToken(otherEnterprise, token)).rejects.toMatchObject({ code: "TOKEN_INVALID" });
    // And still accepted where it was issued.
    expect((await verifyAccessToken(env, token)).principal.userId).toBe(7001);
  });

  it("changing what one caller was given changes nothing for the next", async () => {
    const { token } = await issueAccessToken(env, user, false);
    const first = await verifyAccessToken(env, token);
    first.principal.publisherId = 13;
    first.tokenVersion = 99;
    expect(await verifyAccessToken(env, token)).toMatchObject({ tokenVersion: 3, principal: { publisherId: 12 } });
  });

  it("stays bounded and keeps answering when more tokens than it keeps are in use", async () => {
    const tokens = [];
    for (let i = 0; i <= VERIFIED_TOKEN_MAX; i++) tokens.push((await issueAccessToken(env, { ...user, id: 8000 + i }, false)).token);
    for (const t of tokens) await verifyAccessToken(env, t);
    // The first one left to make room; it verifies again from its signature.
    expect((await verifyAccessToken(env, tokens[0]!)).principal.userId).toBe(8000);
  });

  it("a disabled user's kept token is refused", async () => {
    const admin = await loginAs(DEMO.admin);
    const id = 7101;
    const username = "kept-revoked@acme.test";
    await env.DB.prepare("INSERT INTO users (id, username, password_hash, role, publisher_id) VALUES (?1, ?2, ?3, 'publisher', 12)")
      .bind(id, username, await hashPassword(PASSWORD))
      .run();
    const token = await loginAs({ username, password: PASSWORD });
    expect((await call("/api/v4/leads", { headers: bearer(token) })).status).toBe(200);
    const disabled = await call(`/api/v4/users/${id}`, json({ disabled: true }, "PUT", { ...bearer(admin), "Content-Type": "application/ld+json" }));
    expect(disabled.status).toBe(200);
    expect((await call("/api/v4/leads", { headers: bearer(token) })).status).toBe(401);
  });
});
