import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { hashPassword } from "./password";
import { revokeSessions } from "./sessions";

// The enterprise password policy, applied to every new password (change and reset).
export const newPasswordSchema = z
  .string()
  .min(10, "The password must be at least 10 characters long.")
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
