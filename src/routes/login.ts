import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { enterpriseClientId } from "../auth/client-credentials";
import { checkCode, codesLocked, openChallenge, smsCooldown } from "../auth/codes";
import { randomDigits, randomToken, sha256Hex } from "../auth/crypto";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "../auth/password";
import { messageSender } from "../auth/sms";
import {
  ACCESS_TOKEN_TTL_SECONDS,
  issueAccessToken,
  REFRESH_TOKEN_TTL_SECONDS,
} from "../auth/tokens";
import { type Db, getDb } from "../db/client";
import { refreshTokens, type User, users } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError } from "../errors";
import { readFlatFields } from "../http/body";
import { oauthError, renderOAuthError } from "./oauth-errors";

// POST /api/login: password grant (with SMS multi-factor) and refresh-token grant (Convertr's publisher API documentation).
// /oauth/v2/token (src/routes/oauth-token.ts) issues its user tokens through the same two functions.
export const MFA_CODE_TTL_MS = 5 * 60 * 1000;

export const passwordGrant = z.object({
  grant_type: z.literal("password").optional(),
  username: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
  mfa_token: z.string().min(1).max(256).optional(),
  mfa_code: z.string().min(1).max(16).optional(),
});
export const refreshGrant = z.object({
  grant_type: z.literal("refresh_token"),
  refresh_token: z.string().min(1).max(256),
});

/** The token response (Convertr's fields; no client_secret, which belongs to no answer). */
export const loginTokensSchema = z.object({
  access_token: z.string(),
  expires_in: z.number().int(),
  token_type: z.literal("bearer"),
  scope: z.null(),
  refresh_token: z.string(),
  client_id: z.string().meta({ description: "The enterprise's OAuth client id, the one /oauth/v2/token takes (its secret is never in this answer)." }),
  user_id: z.number().int(),
  password_expired: z.boolean(),
  expires_ts: z.number().int().meta({ description: "When the access token expires, Unix seconds." }),
});
type LoginTokens = z.output<typeof loginTokensSchema>;

const badCredentials = () =>
  oauthError("BAD_REQUEST", "invalid_grant", "Invalid username and password combination");

async function tokenResponse(env: Env, db: Db, user: User, now: number): Promise<LoginTokens> {
  const passwordExpired = user.passwordExpiresTs !== null && user.passwordExpiresTs <= now;
  const { token, expiresTs } = await issueAccessToken(env, user, passwordExpired, now);
  const refresh = randomToken();
  await db.insert(refreshTokens).values({
    id: await sha256Hex(refresh),
    userId: user.id,
    expiresTs: now + REFRESH_TOKEN_TTL_SECONDS * 1000,
    createdTs: now,
  });
  return {
    access_token: token,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    token_type: "bearer",
    scope: null,
    refresh_token: refresh,
    client_id: await enterpriseClientId(env),
    user_id: user.id,
    password_expired: passwordExpired,
    expires_ts: expiresTs,
  };
}

/** 429 with the rest of the wait: told only to a caller who just proved the password. */
function rationed(description: string, retryAfterSeconds: number) {
  return new ApiError("RATE_LIMITED", description, {
    body: { error: "rate_limited", error_description: description },
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

// Codes are rationed (src/auth/codes.ts): one live challenge per user, one SMS per number per
// cooldown (the previous code stays valid meanwhile), and no codes at all while the user is locked.
async function startMfa(env: Env, user: User, now: number) {
  const wait = await smsCooldown(env, user.mfaTelephone!);
  if (wait > 0) throw rationed(`A code was sent to this telephone moments ago; enter it, or retry in ${wait} seconds.`, wait);
  const mfaToken = randomToken();
  const code = randomDigits(6);
  const insert = env.DB.prepare(
    "INSERT INTO mfa_challenges (id, user_id, code_hash, expires_ts, created_ts) VALUES (?1, ?2, ?3, ?4, ?5)",
  ).bind(await sha256Hex(mfaToken), user.id, await sha256Hex(`${mfaToken}:${code}`), now + MFA_CODE_TTL_MS, now);
  await openChallenge(env, "mfa", user.id, insert, now);
  await messageSender(env).send(user.mfaTelephone!, `Your ${env.ENTERPRISE} login code is ${code}`);
  return oauthError("UNAUTHORIZED", "Mfa Required", "Multifactor authentication required", { mfa_token: mfaToken });
}

async function checkMfa(env: Env, user: User, mfaToken: string, code: string, now: number) {
  const result = await checkCode(env, "mfa", user.id, await sha256Hex(mfaToken), await sha256Hex(`${mfaToken}:${code}`), now);
  if (result === "wrong") throw oauthError("BAD_REQUEST", "invalid_grant", "Invalid MFA code");
  if (result === "dead") throw oauthError("BAD_REQUEST", "invalid_grant", "The MFA token is invalid or has expired; log in again");
}

export async function loginWithPassword(env: Env, input: z.infer<typeof passwordGrant>) {
  const db = getDb(env);
  const now = Date.now();
  const user = await db.select().from(users).where(eq(users.username, input.username)).get();
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok || user.disabled) throw badCredentials();
  if (user.mfaTelephone) {
    if (codesLocked(user, now)) {
      const wait = Math.ceil((user.codesLockedUntilTs! - now) / 1000);
      throw rationed(`Too many wrong codes: codes for this account are locked for ${Math.ceil(wait / 60)} more minutes.`, wait);
    }
    if (!input.mfa_token || !input.mfa_code) throw await startMfa(env, user, now);
    await checkMfa(env, user, input.mfa_token, input.mfa_code, now);
  }
  return tokenResponse(env, db, user, now);
}

export async function loginWithRefreshToken(env: Env, refreshToken: string) {
  const db = getDb(env);
  const now = Date.now();
  const id = await sha256Hex(refreshToken);
  const invalid = oauthError("BAD_REQUEST", "invalid_grant", "The refresh token is invalid or has expired");
  const row = await db.select().from(refreshTokens).where(eq(refreshTokens.id, id)).get();
  if (!row || row.revokedTs !== null || row.expiresTs <= now) throw invalid;
  const claimed = await db
    .update(refreshTokens)
    .set({ usedTs: now })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedTs)))
    .run();
  if (claimed.meta.changes !== 1) {
    // A replayed refresh token means it leaked: revoke the whole family of the user's tokens.
    await db
      .update(refreshTokens)
      .set({ revokedTs: now })
      .where(and(eq(refreshTokens.userId, row.userId), isNull(refreshTokens.revokedTs)));
    throw invalid;
  }
  const user = await db.select().from(users).where(eq(users.id, row.userId)).get();
  if (!user || user.disabled) throw invalid;
  return tokenResponse(env, db, user, now);
}

export const login = new Hono<AppEnv>();
login.onError(renderOAuthError);

login.post("/", async (c) => {
  const fields = await readFlatFields(c);
  if (fields.grant_type === "refresh_token") {
    const parsed = refreshGrant.safeParse(fields);
    if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", "Missing refresh_token");
    return c.json(await loginWithRefreshToken(c.env, parsed.data.refresh_token));
  }
  if (fields.grant_type !== undefined && fields.grant_type !== "password") {
    throw oauthError("BAD_REQUEST", "unsupported_grant_type", `Unsupported grant_type "${fields.grant_type}"`);
  }
  const parsed = passwordGrant.safeParse(fields);
  if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", "Missing username or password");
  return c.json(await loginWithPassword(c.env, parsed.data));
});
