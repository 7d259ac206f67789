import { env } from "cloudflare:workers";
import { decodeJwt, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { verifyApiKeyGrantToken } from "../../src/auth/publisher-tokens";
import { jwtKey } from "../../src/auth/tokens";
import type { Env } from "../../src/env";
import { bearer, call, DEMO, loginAs } from "../helpers";

// An isolate keeps the API-key grant access tokens whose signature it verified
// (src/auth/publisher-tokens.ts), so the rate limiter and authenticate() check a Connect delivery's
// token once. What a kept token may not change: a rotated key or a deleted campaign still refuses
// the token on the next request, an expired token is refused as expired, a changed byte is refused,
// and a token is accepted only under the key and issuer it was verified with.

const CLIENT = { client_id: "1_5b0c7f3e1a9d4c2b8e6f0a1d3c5e7b9f", client_secret: "acme-demo-client-secret-1f6e0d2c9b8a7f6e5d4c3b2a" };
const API_KEY_GRANT = "https://acme.cvtr.io/grants/api_key";
const INVALID = { error: "invalid_grant", error_description: "The access token provided is invalid." };
const EXPIRED = { error: "invalid_grant", error_description: "The access token provided has expired." };

// Storage is per test file, so a test that rotates the key leaves the next one the new key.
async function accessToken(): Promise<string> {
  const row = await env.DB.prepare("SELECT api_key FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 12").first<{ api_key: string }>();
  const res = await call(`/oauth/v2/token?${new URLSearchParams({ grant_type: API_KEY_GRANT, ...CLIENT, api_key: row!.api_key })}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const fields = (token: string) => call("/api/v2.4/publisher/fields/601", { headers: bearer(token) });

/** The fields request with this token is refused: 401 with the OAuth error body `body`. */
async function expectRefused(token: string, body: typeof INVALID = INVALID) {
  const res = await fields(token);
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual(body);
}

/** The token with one character of its signature changed (a middle one: the last carries padding bits). */
function flipSignature(token: string): string {
  const at = token.lastIndexOf(".") + 10;
  return token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
}

describe("API-key grant tokens kept per isolate", () => {
  it("a token works on every request until its key is rotated, then is refused", async () => {
    const token = await accessToken();
    expect((await fields(token)).status).toBe(200);
    expect((await fields(token)).status).toBe(200);
    const admin = await loginAs(DEMO.admin);
    const cp = await env.DB.prepare("SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 12").first<{ id: number }>();
    expect((await call(`/api/v4/campaign-publishers/${cp!.id}/rotate-key`, { method: "POST", headers: bearer(admin) })).status).toBe(200);
    // Its signature was verified (and kept) above: only the key's D1 read can refuse it now.
    await expectRefused(token);
    expect((await fields(token)).status).toBe(401);
  });

  it("a token with a changed signature byte is refused, before and after the real one was kept", async () => {
    const token = await accessToken();
    const tampered = flipSignature(token);
    expect(tampered).not.toBe(token);
    await expectRefused(tampered);
    expect((await fields(token)).status).toBe(200);
    await expectRefused(tampered);
  });

  it("a kept token is refused as expired from its exp on, as jose refuses it", async () => {
    const token = await accessToken();
    expect((await fields(token)).status).toBe(200);
    const exp = decodeJwt(token).exp!;
    // From the kept entry a millisecond before its exp: still valid.
    expect(await verifyApiKeyGrantToken(env, token, exp * 1000 - 1)).toMatchObject({ kind: "apiKey", campaignId: 601, publisherId: 12 });
    await expect(verifyApiKeyGrantToken(env, token, exp * 1000)).rejects.toMatchObject({ code: "TOKEN_EXPIRED" });
    // The entry is gone; jose, asked afresh, says the same.
    await expect(verifyApiKeyGrantToken(env, token, exp * 1000)).rejects.toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("a kept token is not accepted under another key or another enterprise", async () => {
    const token = await accessToken();
    expect((await fields(token)).status).toBe(200);
    const otherKey = { ...env, JWT_SECRET: "another-local-secret-of-at-least-32-characters" } as Env;
    await expect(verifyApiKeyGrantToken(otherKey, token)).rejects.toMatchObject({ code: "TOKEN_INVALID" });
    const otherEnterprise = { ...env, ENTERPRISE: "agency" } as Env;
    await expect(verifyApiKeyGrantToken(otherEnterprise, token)).rejects.toMatchObject({ code: "TOKEN_INVALID" });
    expect((await fields(token)).status).toBe(200);
  });

  it("an expired token is refused with the expired error over HTTP", async () => {
    const claims = decodeJwt(await accessToken());
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(jwtKey(env));
    for (let i = 0; i < 2; i++) await expectRefused(expired, EXPIRED);
  });
  // Last: the campaign stays deleted for the rest of this file.
  it("a kept token dies with its campaign", async () => {
    const token = await accessToken();
    expect((await fields(token)).status).toBe(200);
    await env.DB.prepare("UPDATE campaigns SET deleted_ts = 1 WHERE id = 601").run();
    await expectRefused(token);
  });
});
