import { and, eq, isNull, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { mfaChallenges, passwordResets } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { sha256Hex, timingSafeEqual } from "./crypto";
import { userRowHolds } from "./sessions";

// One-time codes sent to users: the SMS code of a multi-factor login (mfa_challenges) and the
// password reset code (password_resets). Both tables have the same shape and the same rules:
// - one live challenge per user: opening one closes the others in the same transaction;
// - an attempt is counted by one conditional UPDATE before the code is compared, so parallel
//   guesses cannot read the same count: a challenge answers at most CODE_MAX_ATTEMPTS guesses;
// - wrong codes in a row, across challenges of both kinds, lock the user's codes for CODE_LOCK_MS;
// - at most one code is sent to a telephone number (or address) per SMS_COOLDOWN_SECONDS.

export const CODE_MAX_ATTEMPTS = 5;
export const CODE_LOCK_AFTER_FAILURES = 10;
export const CODE_LOCK_MS = 15 * 60 * 1000;
export const SMS_COOLDOWN_SECONDS = 60;

export type CodeKind = "mfa" | "reset";

// Table names by kind: fixed constants, never chosen by a request.
const TABLE = { mfa: "mfa_challenges", reset: "password_resets" } as const satisfies Record<CodeKind, string>;

/** Whether the user's codes are locked now (the user row is already loaded by every caller). */
export const codesLocked = (user: { codesLockedUntilTs: number | null }, now: number) =>
  user.codesLockedUntilTs !== null && user.codesLockedUntilTs > now;

/**
 * Stores a new challenge (the INSERT given) and closes the user's other live ones, in one
 * transaction, so a user never has two live codes of a kind.
 */
export async function openChallenge(env: Env, kind: CodeKind, userId: number, insert: D1PreparedStatement, now: number) {
  const close = env.DB.prepare(`UPDATE ${TABLE[kind]} SET used_ts = ?2 WHERE user_id = ?1 AND used_ts IS NULL`).bind(userId, now);
  await env.DB.batch([close, insert]);
}

/**
 * The statements that close every live code of a user, MFA and reset alike, to run in the batch of
 * the change that makes them stale (a new telephone: they went to the old destination); only if
 * `when` holds for the user's row as the batch finds it, so they go before the change.
 */
export function codeClosing(db: Db, userId: number, now: number, when: SQL): BatchItem<"sqlite">[] {
  const userMatches = userRowHolds(userId, when);
  return [
    db.update(mfaChallenges).set({ usedTs: now }).where(and(eq(mfaChallenges.userId, userId), isNull(mfaChallenges.usedTs), userMatches)),
    db.update(passwordResets).set({ usedTs: now }).where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedTs), userMatches)),
  ];
}

export type CodeCheck = "ok" | "wrong" | "dead";

/**
 * Checks a code against the user's live challenge (`challengeId`, or the newest live one when
 * null). "dead": no live challenge (used, expired, out of attempts, another user's, or the user's
 * codes are locked); "wrong": the attempt was counted; "ok": the challenge is now used.
 */
export async function checkCode(
  env: Env,
  kind: CodeKind,
  userId: number,
  challengeId: string | null,
  candidateHash: string,
  now: number,
): Promise<CodeCheck> {
  const t = TABLE[kind];
  const row = await env.DB.prepare(
    `UPDATE ${t} SET attempts = attempts + 1
      WHERE id = coalesce(?2, (SELECT max(id) FROM ${t} WHERE user_id = ?1 AND used_ts IS NULL))
        AND user_id = ?1 AND used_ts IS NULL AND expires_ts > ?3 AND attempts < ?4
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND u.codes_locked_until_ts > ?3)
      RETURNING id, code_hash`,
  )
    .bind(userId, challengeId, now, CODE_MAX_ATTEMPTS)
    .first<{ id: string | number; code_hash: string }>();
  if (!row) return "dead";
  if (!timingSafeEqual(row.code_hash, candidateHash)) {
    await env.DB.prepare(
      `UPDATE users SET
         code_failures = CASE WHEN code_failures + 1 >= ?2 THEN 0 ELSE code_failures + 1 END,
         codes_locked_until_ts = CASE WHEN code_failures + 1 >= ?2 THEN ?3 ELSE codes_locked_until_ts END
       WHERE id = ?1`,
    )
      .bind(userId, CODE_LOCK_AFTER_FAILURES, now + CODE_LOCK_MS)
      .run();
    return "wrong";
  }
  // Single use: only the request that sets used_ts wins.
  const [claim] = await env.DB.batch([
    env.DB.prepare(`UPDATE ${t} SET used_ts = ?2 WHERE id = ?1 AND used_ts IS NULL`).bind(row.id, now),
    env.DB.prepare(`UPDATE users SET code_failures = 0 WHERE id = ?1`).bind(userId),
  ]);
  return claim!.meta.changes === 1 ? "ok" : "dead";
}

/**
 * Takes the destination's send slot: 0 when a code may be sent now, else the seconds to wait.
 * The slot lives in the rate limiter's Durable Object for the destination's hash; when that object
 * cannot answer, no code is sent (503).
 */
export async function smsCooldown(env: Env, to: string): Promise<number> {
  try {
    const slot = await env.RATE_LIMITER.getByName(`sms:${await sha256Hex(to)}`).hit(1, SMS_COOLDOWN_SECONDS * 1000);
    return slot.allowed ? 0 : slot.retryAfterSeconds;
  } catch (err) {
    console.error("rate limiter unavailable, no code sent:", err instanceof Error ? err.message : String(err));
    throw signInUnavailable();
  }
}

/** 503 for the credential endpoints when the limiter that rations them cannot answer. */
export const signInUnavailable = () =>
  new ApiError("UNAVAILABLE", "Sign-in is temporarily unavailable; try again shortly.", {
    headers: { "Retry-After": "30" },
  });
