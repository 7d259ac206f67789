import { errors, jwtVerify, SignJWT } from "jose";
import type { Env, Principal } from "../env";
import { tokenExpired, tokenInvalid } from "../errors";

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

const issuer = (env: Env) => `leadflare:${env.ENTERPRISE}`;

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

// Access tokens this isolate verified, by token. A token's verification is a function of the
// token, the key and the issuer, and of the clock only through its exp; every authenticated
// request verified its token twice (the rate limiter, then the route), an HMAC each time. An entry
// is kept only for a token whose signature verified (one we signed: no not-before time), is used
// only with the same key and issuer, and never at or past the token's exp (the token is then
// refused as expired, as before). Bound: at most VERIFIED_TOKEN_MAX entries per isolate, the
// oldest leaving first. Revocation is unchanged: it is not the signature's business but
// src/auth/sessions.ts's, which checks the user's session on every request (its bound:
// SESSION_CACHE_MS).
export const VERIFIED_TOKEN_MAX = 1_000;
const verifiedTokens = new Map<string, { scope: string; exp: number; verified: VerifiedToken }>();

/**
 * Whether this isolate verified the token as a user access token (under some key and issuer):
 * its signature then covered its claims, the user audience among them, whatever the token's scope.
 */
export const isVerifiedUserToken = (token: string) => verifiedTokens.has(token);

/** A copy, so that no request can change what another is given. */
const copyOf = (v: VerifiedToken): VerifiedToken => ({ ...v, principal: { ...v.principal } });

/**
 * Checks a user access token's signature and claims, without any I/O (the rate limiter relies on
 * that). Whether the user's sessions were revoked since is src/auth/sessions.ts's question.
 */
export async function verifyAccessToken(env: Env, token: string, now = Date.now()): Promise<VerifiedToken> {
  const scope = `${env.ENVIRONMENT}\n${env.JWT_SECRET ?? ""}\n${issuer(env)}`;
  const hit = verifiedTokens.get(token);
  if (hit !== undefined && hit.scope === scope) {
    // jose's rule: expired once exp <= the current second.
    if (hit.exp > Math.floor(now / 1000)) return copyOf(hit.verified);
    verifiedTokens.delete(token);
    throw tokenExpired();
  }
  const { verified, exp } = await verifySignature(env, token);
  if (verifiedTokens.size >= VERIFIED_TOKEN_MAX) verifiedTokens.delete(verifiedTokens.keys().next().value!);
  verifiedTokens.set(token, { scope, exp, verified });
  return copyOf(verified);
}

async function verifySignature(env: Env, token: string): Promise<{ verified: VerifiedToken; exp: number }> {
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
    return { verified, exp: payload.exp! };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw tokenExpired();
    throw tokenInvalid();
  }
}
