import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { newPasswordSchema, setPassword } from "../auth/account";
import { checkCode, codesLocked, openChallenge, smsCooldown } from "../auth/codes";
import { randomDigits, sha256Hex } from "../auth/crypto";
import { messageSender } from "../auth/sms";
import { getDb } from "../db/client";
import { users } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { readFlatFields } from "../http/body";
import { oauthError, renderOAuthError } from "./oauth-errors";

// Password reset over the API, in two calls:
//   POST /api/password-reset          {username}                     -> 202, whatever the user
//   POST /api/password-reset/confirm  {username, code, newPassword}  -> 202
// The code goes to the user's MFA telephone when there is one, else to the username (an email
// address) through the same message interface as MFA codes. Codes follow the rules of
// src/auth/codes.ts (one live code, counted attempts, lockout, one message per cooldown).
export const RESET_CODE_TTL_MS = 15 * 60 * 1000;

export const requestSchema = z.object({ username: z.string().min(1).max(254) });
export const confirmSchema = z.object({
  username: z.string().min(1).max(254),
  code: z.string().regex(/^\d{6,8}$/, "The code is 6 to 8 digits."),
  newPassword: newPasswordSchema,
});

/** Both calls answer 202 with a message only. */
export const resetAnswerSchema = z.object({ message: z.string() });
type ResetAnswer = z.output<typeof resetAnswerSchema>;

const invalidCode = () => oauthError("BAD_REQUEST", "invalid_grant", "The reset code is invalid or has expired");

/**
 * Looks the user up and sends a code, after the response: the answer to the request is the same,
 * in status, body and time, for unknown, disabled and locked users, users without a telephone and
 * real ones, and a failing message provider cannot turn it into an error.
 */
async function sendResetCode(env: Env, username: string) {
  const now = Date.now();
  const user = await getDb(env).select().from(users).where(eq(users.username, username)).get();
  if (!user || user.disabled || codesLocked(user, now)) return;
  const to = user.mfaTelephone ?? user.username;
  // Within the cooldown the code sent moments ago stays the live one.
  if ((await smsCooldown(env, to)) > 0) return;
  const code = randomDigits(8);
  const insert = env.DB.prepare(
    "INSERT INTO password_resets (user_id, code_hash, expires_ts, created_ts) VALUES (?1, ?2, ?3, ?4)",
  ).bind(user.id, await sha256Hex(`${user.id}:${code}`), now + RESET_CODE_TTL_MS, now);
  await openChallenge(env, "reset", user.id, insert, now);
  await messageSender(env).send(to, `Your ${env.ENTERPRISE} password reset code is ${code}`);
}

export const passwordReset = new Hono<AppEnv>();
passwordReset.onError(renderOAuthError);

passwordReset.post("/", async (c) => {
  const parsed = requestSchema.safeParse(await readFlatFields(c));
  if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", "Missing username");
  c.executionCtx.waitUntil(
    sendResetCode(c.env, parsed.data.username).catch((err: unknown) => {
      console.error("password reset: no code sent:", err instanceof Error ? err.message : String(err));
    }),
  );
  return c.json({ message: "If the account exists, a reset code has been sent." } satisfies ResetAnswer, 202);
});

passwordReset.post("/confirm", async (c) => {
  const parsed = confirmSchema.safeParse(await readFlatFields(c));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw oauthError("BAD_REQUEST", "invalid_request", `${issue.path.join(".")}: ${issue.message}`);
  }
  const { username, code, newPassword } = parsed.data;
  const db = getDb(c.env);
  const now = Date.now();
  const user = await db.select().from(users).where(eq(users.username, username)).get();
  if (!user || user.disabled) throw invalidCode();
  const result = await checkCode(c.env, "reset", user.id, null, await sha256Hex(`${user.id}:${code}`), now);
  if (result !== "ok") throw invalidCode();
  await setPassword(db, user.id, newPassword, now);
  return c.json({ message: "The password has been changed." } satisfies ResetAnswer, 202);
});
