import { errors, jwtVerify, SignJWT } from "jose";
import type { Env, Principal } from "../env";
import { tokenExpired, tokenInvalid } from "../errors";
import { verifiedTokenMemo } from "./verified-token-memo";

export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const TOKEN_AUDIENCE = "leadflare-api";

// Only for ENVIRONMENT=local: lets `npm run dev` and the tests work without a secret.
export const LOCAL_DEMO_JWT_SECRET = "leadflare-local-demo-key-do-not-use-in-production";

/** The signing key; outside local mode a real secret must be set or nothing starts. */
export function jwtKey(env: Env): Uint8Array {
  const secret = env.JWT_SECRET ?? (env.ENVIRONMENT === "local" ? LOCAL_DEMO_JWT_SECRET : undefined);
  if (!secret || (env.ENVIRONMENT !== "local" && (secret === LOCAL_DEMO_JWT_SECRET || secret.length < 32))) {
    throw new Error("JWT_SECRET must be set to a random value of at least 32 characters outside local mode");
  }
  return new TextEncoder().encode(secret);
}

export const issuer = (env: Env) => `leadflare:${env.ENTERPRISE}`;

export interface TokenUser {
  id: number;
  username: string;
  role: "admin" | "publisher";
  publisherId: number | null;
  /** users.token_version when the token is issued (src/auth/sessions.ts). */
  tokenVersion: number;
}

export async function issueAccessToken(
  env: Env,
  user: TokenUser,
  passwordExpired: boolean,
  now = Date.now(),
): Promise<{ token: string; expiresTs: number }> {
  const iat = Math.floor(now / 1000);
  const exp = iat + ACCESS_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({
    usr: user.username,
    role: user.role,
    pub: user.publisherId,
    ent: env.ENTERPRISE,
    ver: user.tokenVersion,
    ...(passwordExpired ? { pwx: true } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(user.id))
    .setIssuer(issuer(env))
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(jwtKey(env));
  return { token, expiresTs: exp };
}

export interface VerifiedToken {
  principal: Extract<Principal, { kind: "user" }>;
  passwordExpired: boolean;
  /** The user's token_version the token was issued under (0 for tokens older than the claim). */
  tokenVersion: number;
}

// User access tokens this isolate verified (src/auth/verified-token-memo.ts). Revocation is
// src/auth/sessions.ts's, which checks the user's session on every request (its bound:
// SESSION_CACHE_MS).
export const VERIFIED_TOKEN_MAX = 1_000;
const verifiedTokens = verifiedTokenMemo<VerifiedToken>(VERIFIED_TOKEN_MAX, (v) => ({ ...v, principal: { ...v.principal } }));

/**
 * Whether this isolate verified the token as a user access token (under some key and issuer):
 * its signature then covered its claims, the user audience among them, whatever the token's scope.
 */
export const isVerifiedUserToken = verifiedTokens.has;

/**
 * Checks a user access token's signature and claims, without any I/O (the rate limiter relies on
 * that). Whether the user's sessions were revoked since is src/auth/sessions.ts's question.
 */
export function verifyAccessToken(env: Env, token: string, now = Date.now()): Promise<VerifiedToken> {
  return verifiedTokens.get(env, issuer(env), token, now, () => verifySignature(env, token));
}

async function verifySignature(env: Env, token: string): Promise<{ value: VerifiedToken; exp: number }> {
  try {
    const { payload } = await jwtVerify(token, jwtKey(env), {
      algorithms: ["HS256"],
      issuer: issuer(env),
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["sub", "iat", "exp"],
    });
    const userId = Number(payload.sub);
    const role = payload.role;
    if (!Number.isInteger(userId) || (role !== "admin" && role !== "publisher")) throw tokenInvalid();
    const pub = payload.pub;
    const verified: VerifiedToken = {
      principal: {
        kind: "user",
        userId,
        username: String(payload.usr ?? ""),
        role,
        publisherId: typeof pub === "number" ? pub : null,
      },
      passwordExpired: payload.pwx === true,
      tokenVersion: typeof payload.ver === "number" ? payload.ver : 0,
    };
    return { value: verified, exp: payload.exp! };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw tokenExpired();
    throw tokenInvalid();
  }
}
