import { and, eq, isNull } from "drizzle-orm";
import { decodeJwt, errors, jwtVerify, SignJWT } from "jose";
import { getDb } from "../db/client";
import { campaignPublishers, campaigns } from "../db/schema";
import type { Env, Principal } from "../env";
import { ApiError, tokenExpired, tokenInvalid } from "../errors";
import { oauthError } from "../routes/oauth-errors";
import { sha256Hex, timingSafeEqual } from "./crypto";
import { ACCESS_TOKEN_TTL_SECONDS, isVerifiedUserToken, issuer, jwtKey, REFRESH_TOKEN_TTL_SECONDS } from "./tokens";
import { verifiedTokenMemo } from "./verified-token-memo";

// Tokens of the API-key grant (grant_type ".../grants/api_key"): the bearer form of a
// campaign-publisher API key. They carry their own audience, so the user-token check
// (verifyAccessToken) refuses them everywhere, and authenticate() lets them through only on the
// routes that take a campaign-publisher key: that campaign's publisher API and the sync
// subscriptions. They name the key by a hash prefix, so rotating the key revokes them.

const ACCESS_AUDIENCE = "leadflare-publisher-api";
const REFRESH_AUDIENCE = "leadflare-publisher-api-refresh";

type ApiKeyPrincipal = Extract<Principal, { kind: "apiKey" }>;

const keyTag = async (apiKey: string) => (await sha256Hex(apiKey)).slice(0, 16);

async function sign(env: Env, p: ApiKeyPrincipal, tag: string, audience: string, ttl: number, iat: number) {
  return new SignJWT({ cmp: p.campaignId, pub: p.publisherId, kt: tag, ent: env.ENTERPRISE })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(`cp:${p.campaignPublisherId}`)
    .setIssuer(issuer(env))
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(crypto.randomUUID())
    .sign(jwtKey(env));
}

/** The campaign publisher that owns a live API key, or null. */
async function ownerOfKey(env: Env, where: ReturnType<typeof eq>) {
  return getDb(env)
    .select({
      id: campaignPublishers.id,
      apiKey: campaignPublishers.apiKey,
      campaignId: campaignPublishers.campaignId,
      publisherId: campaignPublishers.publisherId,
    })
    .from(campaignPublishers)
    .innerJoin(campaigns, eq(campaigns.id, campaignPublishers.campaignId))
    .where(and(where, isNull(campaigns.deletedTs)))
    .get();
}

async function tokenPair(env: Env, owner: { id: number; apiKey: string; campaignId: number; publisherId: number }) {
  const p = principalOf(owner);
  const tag = await keyTag(owner.apiKey);
  const iat = Math.floor(Date.now() / 1000);
  return {
    access_token: await sign(env, p, tag, ACCESS_AUDIENCE, ACCESS_TOKEN_TTL_SECONDS, iat),
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    token_type: "bearer" as const,
    scope: `publisher:${owner.publisherId} campaign:${owner.campaignId}`,
    refresh_token: await sign(env, p, tag, REFRESH_AUDIENCE, REFRESH_TOKEN_TTL_SECONDS, iat),
  };
}

/** The campaign publisher of a live API key (the X-Api-Key header and the API-key grant), or null. */
export async function apiKeyOwner(env: Env, apiKey: string) {
  const owner = await ownerOfKey(env, eq(campaignPublishers.apiKey, apiKey));
  return owner && timingSafeEqual(owner.apiKey, apiKey) ? owner : null;
}

export const principalOf = (owner: { id: number; campaignId: number; publisherId: number }): ApiKeyPrincipal => ({
  kind: "apiKey", campaignPublisherId: owner.id, campaignId: owner.campaignId, publisherId: owner.publisherId,
});

/** The API-key grant: a token pair for the campaign publisher whose key this is. */
export async function grantForApiKey(env: Env, apiKey: string) {
  const owner = await apiKeyOwner(env, apiKey);
  if (!owner) throw oauthError("BAD_REQUEST", "invalid_grant", "Invalid API key");
  return tokenPair(env, owner);
}

type Signed = { campaignPublisherId: number; keyTag: unknown };

/** Signature, issuer, audience and expiry; the campaign publisher the token names. */
async function verifySigned(env: Env, token: string, audience: string, now = Date.now()): Promise<Signed & { exp: number }> {
  const { payload } = await jwtVerify(token, jwtKey(env), {
    algorithms: ["HS256"],
    issuer: issuer(env),
    audience,
    requiredClaims: ["sub", "iat", "exp"],
    currentDate: new Date(now),
  });
  const m = /^cp:([1-9][0-9]{0,14})$/.exec(String(payload.sub));
  if (!m) throw tokenInvalid();
  return { campaignPublisherId: Number(m[1]), keyTag: payload.kt, exp: payload.exp! };
}

// Access tokens of this grant whose signature this isolate verified (src/auth/verified-token-memo.ts):
// a Connect delivery carries one on every request. Revocation is not kept: every request's key is
// checked in D1, by liveOwner() or, for a capture, inside its write batch (keptGrantOwner).
export const VERIFIED_GRANT_TOKEN_MAX = 1_000;
const verifiedGrantTokens = verifiedTokenMemo<Signed>(VERIFIED_GRANT_TOKEN_MAX, (v) => ({ ...v }));

/** verifySigned for an access token of this grant, from this isolate's entry when it has one. */
function verifySignedAccess(env: Env, token: string, now = Date.now()): Promise<Signed> {
  return verifiedGrantTokens.get(env, issuer(env), token, now, async () => {
    const { exp, ...value } = await verifySigned(env, token, ACCESS_AUDIENCE, now);
    return { value, exp };
  });
}

type KeyOwner = { id: number; apiKey: string; campaignId: number; publisherId: number };

// What liveOwner() last found live per campaign publisher (its key and the key's tag), so that a
// capture can check a token's key inside its own write batch instead of reading it first
// (keptGrantOwner). Never trusted alone: that batch re-checks the key in its transaction, and any
// other answer waits for liveOwner(). At most KEPT_GRANT_OWNER_MAX entries, the oldest leaving first.
export const KEPT_GRANT_OWNER_MAX = 1_000;
const keptOwners = new Map<number, { owner: KeyOwner; tag: string }>();

/** That the key a verified token was issued for is still the campaign publisher's key on a live campaign. */
async function liveOwner(env: Env, signed: Signed): Promise<KeyOwner> {
  if (typeof signed.keyTag !== "string") throw tokenInvalid();
  const owner = await ownerOfKey(env, eq(campaignPublishers.id, signed.campaignPublisherId));
  const tag = owner && (await keyTag(owner.apiKey));
  keptOwners.delete(signed.campaignPublisherId);
  if (!owner || !timingSafeEqual(tag!, signed.keyTag)) throw tokenInvalid();
  if (keptOwners.size >= KEPT_GRANT_OWNER_MAX) keptOwners.delete(keptOwners.keys().next().value!);
  keptOwners.set(signed.campaignPublisherId, { owner, tag: tag! });
  return owner;
}

/** The refresh grant for a refresh token of the API-key grant; null when it is not one. */
export async function refreshApiKeyGrant(env: Env, refreshToken: string) {
  if (audienceOf(refreshToken) !== REFRESH_AUDIENCE) return null;
  try {
    return tokenPair(env, await liveOwner(env, await verifySigned(env, refreshToken, REFRESH_AUDIENCE)));
  } catch {
    throw oauthError("BAD_REQUEST", "invalid_grant", "The refresh token is invalid or has expired");
  }
}

/** The audience a JWT claims, unverified: only to route it to the check that verifies it. */
function audienceOf(token: string): string | null {
  try {
    const aud = decodeJwt(token).aud;
    return typeof aud === "string" ? aud : null;
  } catch {
    return null;
  }
}

/**
 * Whether a bearer token claims the API-key grant's audience. A token this isolate already
 * verified, as a user access token or as one of this grant, claims the audience it was verified
 * with (its signature covered it), so it is not decoded again: the rate limiter and authenticate()
 * ask this for every request with a token.
 */
export const isApiKeyGrantToken = (token: string) =>
  verifiedGrantTokens.has(token) || (!isVerifiedUserToken(token) && audienceOf(token) === ACCESS_AUDIENCE);

/**
 * The campaign publisher an API-key grant token names, by its signature alone (no database read):
 * for the rate limiter, which keys a request by its verified caller. Null when it does not verify.
 */
export async function apiKeyGrantCaller(env: Env, token: string): Promise<number | null> {
  return (await verifiedGrantAccess(env, token))?.campaignPublisherId ?? null;
}

/** An API-key grant access token's verified claims; null when it is not one or does not verify. */
async function verifiedGrantAccess(env: Env, token: string): Promise<Signed | null> {
  if (!isApiKeyGrantToken(token)) return null;
  try {
    return await verifySignedAccess(env, token);
  } catch {
    return null;
  }
}

/**
 * The campaign publisher and key an API-key grant access token names, when its signature verifies
 * and this isolate found that key live for it before (liveOwner): no database read, so the key is
 * NOT confirmed for this request. Null otherwise (the caller then runs verifyApiKeyGrantToken).
 */
export async function keptGrantOwner(env: Env, token: string): Promise<KeyOwner | null> {
  const signed = await verifiedGrantAccess(env, token);
  const kept = signed && keptOwners.get(signed.campaignPublisherId);
  return kept && typeof signed.keyTag === "string" && timingSafeEqual(kept.tag, signed.keyTag) ? { ...kept.owner } : null;
}

/**
 * The campaign-publisher principal of an API-key-grant access token (401 when it does not verify,
 * or its key was rotated away or its campaign deleted: read from D1 on every call).
 */
export async function verifyApiKeyGrantToken(env: Env, token: string, now = Date.now()): Promise<ApiKeyPrincipal> {
  try {
    return principalOf(await liveOwner(env, await verifySignedAccess(env, token, now)));
  } catch (err) {
    if (err instanceof errors.JWTExpired || (err instanceof ApiError && err.code === "TOKEN_EXPIRED")) throw tokenExpired();
    throw tokenInvalid();
  }
}
