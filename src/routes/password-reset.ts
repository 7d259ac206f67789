import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { newPasswordSchema, setPassword } from "../auth/account";
import { randomDigits, sha256Hex, timingSafeEqual } from "../auth/crypto";
import { messageSender } from "../auth/sms";
import { getDb } from "../db/client";
import { passwordResets, users } from "../db/schema";
import type { AppEnv } from "../env";
import { readFlatFields } from "../http/body";
import { oauthError, renderOAuthError } from "./oauth-errors";

// Password reset over the API, in two calls:
//   POST /api/password-reset          {username}                     -> 202, whether or not the user exists
//   POST /api/password-reset/confirm  {username, code, newPassword}  -> 202
// The code goes to the user's MFA telephone when there is one, else to the username (an email
// address) through the same message interface as MFA codes.
export const RESET_CODE_TTL_MS = 15 * 60 * 1000;
export const RESET_MAX_ATTEMPTS = 5;

const requestSchema = z.object({ username: z.string().min(1).max(254) });
const confirmSchema = z.object({
  username: z.string().min(1).max(254),
  code: z.string().regex(/^\d{6,8}$/, "The code is 6 to 8 digits."),
  newPassword: newPasswordSchema,
});

const invalidCode = () => oauthError("BAD_REQUEST", "invalid_grant", "The reset code is invalid or has expired");

export const passwordReset = new Hono<AppEnv>();
passwordReset.onError(renderOAuthError);

passwordReset.post("/", async (c) => {
  const parsed = requestSchema.safeParse(await readFlatFields(c));
  if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", "Missing username");
  const db = getDb(c.env);
  const user = await db.select().from(users).where(eq(users.username, parsed.data.username)).get();
  if (user && !user.disabled) {
    const now = Date.now();
    const code = randomDigits(8);
    await db.insert(passwordResets).values({
      userId: user.id,
      codeHash: await sha256Hex(`${user.id}:${code}`),
      expiresTs: now + RESET_CODE_TTL_MS,
      createdTs: now,
    });
    await messageSender(c.env).send(
      user.mfaTelephone ?? user.username,
      `Your ${c.env.ENTERPRISE} password reset code is ${code}`,
    );
  }
  return c.json({ message: "If the account exists, a reset code has been sent." }, 202);
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
  const reset = await db
    .select()
    .from(passwordResets)
    .where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedTs)))
    .orderBy(desc(passwordResets.id))
    .get();
  if (!reset || reset.expiresTs <= now || reset.attempts >= RESET_MAX_ATTEMPTS) throw invalidCode();
  if (!timingSafeEqual(reset.codeHash, await sha256Hex(`${user.id}:${code}`))) {
    await db
      .update(passwordResets)
      .set({ attempts: sql`${passwordResets.attempts} + 1` })
      .where(eq(passwordResets.id, reset.id));
    throw invalidCode();
  }
  const claimed = await db
    .update(passwordResets)
    .set({ usedTs: now })
    .where(and(eq(passwordResets.id, reset.id), isNull(passwordResets.usedTs)))
    .run();
  if (claimed.meta.changes !== 1) throw invalidCode();
  await setPassword(db, user.id, newPassword, now);
  return c.json({ message: "The password has been changed." }, 202);
});
