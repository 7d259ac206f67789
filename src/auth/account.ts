import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { refreshTokens, users } from "../db/schema";
import { hashPassword } from "./password";

// The enterprise password policy, applied to every new password (change and reset).
export const newPasswordSchema = z
  .string()
  .min(10, "The password must be at least 10 characters long.")
  .max(128, "The password must be at most 128 characters long.");

/** Sets a new password and revokes every refresh token of the user, in one batch. */
export async function setPassword(db: Db, userId: number, newPassword: string, now = Date.now()) {
  const passwordHash = await hashPassword(newPassword);
  await db.batch([
    db
      .update(users)
      .set({ passwordHash, passwordChangedTs: now, passwordExpiresTs: null, updatedTs: now })
      .where(eq(users.id, userId)),
    db
      .update(refreshTokens)
      .set({ revokedTs: now })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedTs))),
  ]);
}
