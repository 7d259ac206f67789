import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { refreshTokens, users } from "../db/schema";
import type { Env } from "../env";
import { tokenInvalid } from "../errors";
import { type VerifiedToken, verifyAccessToken } from "./tokens";

// A user's sessions end when the password is set (change, reset, an admin through v4), the user
// is disabled, the user's role or publisher changes (an access token carries both), or the MFA
// telephone does (a login factor: another number, or MFA turned on or off): the refresh
// tokens are revoked, and users.token_version moves on, which refuses every access token issued
// under the old version (tokens carry it as `ver`).
//
// Reading the user on every authenticated request would add a D1 round trip to each; instead an
// isolate keeps a user's version and disabled flag for SESSION_CACHE_MS. Bound: a revoked access
// token keeps working for at most SESSION_CACHE_MS in isolates other than the one that revoked it
// (that one forgets the user at once); in every isolate one D1 read per active user per interval.
export const SESSION_CACHE_MS = 10_000;
const SESSION_CACHE_MAX = 10_000;

interface SessionState {
  version: number;
  disabled: boolean;
  expires: number;
}

const cache = new Map<number, SessionState>();

async function sessionState(env: Env, userId: number, now: number): Promise<SessionState | null> {
  const hit = cache.get(userId);
  if (hit !== undefined && hit.expires > now) return hit;
  cache.delete(userId);
  const row = await env.DB.prepare("SELECT token_version, disabled FROM users WHERE id = ?1")
    .bind(userId)
    .first<{ token_version: number; disabled: number }>();
  if (!row) return null;
  const state = { version: row.token_version, disabled: row.disabled === 1, expires: now + SESSION_CACHE_MS };
  if (cache.size >= SESSION_CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(userId, state);
  return state;
}

/** A user access token that verifies and whose session is live (user enabled, version current), or 401. */
export async function verifyUserToken(env: Env, token: string, now = Date.now()): Promise<VerifiedToken> {
  const verified = await verifyAccessToken(env, token);
  const state = await sessionState(env, verified.principal.userId, now);
  if (!state || state.disabled || state.version !== verified.tokenVersion) throw tokenInvalid();
  return verified;
}

/**
 * Ends every session of a user, in one transaction with `alongWith` (the password or disabled
 * flag that is the reason): refresh tokens revoked, token_version bumped.
 */
export async function revokeSessions(db: Db, userId: number, now: number, alongWith: BatchItem<"sqlite">[] = []) {
  await db.batch([...sessionRevocation(db, userId, now), ...alongWith]);
  forgetSession(userId);
}

/**
 * The statements that end every session of a user, to run in the batch of the change that is the
 * reason; with `when`, only if it holds for the user's row as the batch finds it (run them before
 * the change to compare the row as it was). The caller drops this isolate's copy (forgetSession).
 */
export function sessionRevocation(db: Db, userId: number, now: number, when?: SQL): [BatchItem<"sqlite">, BatchItem<"sqlite">] {
  return [
    db
      .update(refreshTokens)
      .set({ revokedTs: now })
      .where(and(
        eq(refreshTokens.userId, userId),
        isNull(refreshTokens.revokedTs),
        when && userRowHolds(userId, when),
      )),
    db.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedTs: now }).where(and(eq(users.id, userId), when)),
  ];
}

/** Whether `when` holds for the user's row, for statements on the user's other tables. */
export const userRowHolds = (userId: number, when: SQL) => sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId} AND ${when})`;

/**
 * Drops this isolate's copy of a user's session state after a change to it (re-enabling a user),
 * so the change shows here at once; elsewhere within SESSION_CACHE_MS.
 */
export function forgetSession(userId: number) {
  cache.delete(userId);
}
