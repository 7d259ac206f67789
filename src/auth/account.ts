import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { hashPassword } from "./password";
import { revokeSessions } from "./sessions";

// The enterprise password policy, applied to every new password: a user's own change, a reset, and
// an admin setting one through /api/v4/users.
export const newPasswordSchema = z
  .string()
  .min(12, "The password must be at least 12 characters long.")
  .max(128, "The password must be at most 128 characters long.");

/** Sets a new password and ends every session of the user (src/auth/sessions.ts), in one batch. */
export async function setPassword(db: Db, userId: number, newPassword: string, now = Date.now()) {
  const passwordHash = await hashPassword(newPassword);
  await revokeSessions(db, userId, now, [
    db
      .update(users)
      .set({ passwordHash, passwordChangedTs: now, passwordExpiresTs: null, updatedTs: now })
      .where(eq(users.id, userId)),
  ]);
}
