import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { newPasswordSchema, setPassword } from "../../auth/account";
import { authenticate } from "../../auth/authenticate";
import { verifyPassword } from "../../auth/password";
import { getDb } from "../../db/client";
import { users } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { readFlatFields } from "../../http/body";

// POST /api/v4/users/{id}/change-password {currentPassword, newPassword} -> 202 (Convertr's API documentation).
// Users change their own password; an expired password may (and must) be changed here.
export const changePasswordSchema = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: newPasswordSchema });

export const changePassword = new Hono<AppEnv>();

changePassword.post("/users/:id{[0-9]+}/change-password", authenticate({ allowExpiredPassword: true }), async (c) => {
  const id = Number(c.req.param("id"));
  const p = c.var.principal;
  if (p.kind !== "user" || p.userId !== id) throw new ApiError("FORBIDDEN", "You can only change your own password.");
  const parsed = changePasswordSchema.safeParse(await readFlatFields(c));
  if (!parsed.success) {
    throw new ApiError("UNPROCESSABLE", "Invalid password change.", {
      violations: parsed.error.issues.map((i) => ({ propertyPath: i.path.join("."), message: i.message })),
    });
  }
  const db = getDb(c.env);
  const user = await db.select().from(users).where(eq(users.id, id)).get();
  if (!user) throw new ApiError("NOT_FOUND", "Not Found");
  if (!(await verifyPassword(parsed.data.currentPassword, user.passwordHash))) {
    throw new ApiError("UNPROCESSABLE", "Invalid password change.", {
      violations: [{ propertyPath: "currentPassword", message: "The current password is wrong." }],
    });
  }
  if (parsed.data.newPassword === parsed.data.currentPassword) {
    throw new ApiError("UNPROCESSABLE", "Invalid password change.", {
      violations: [{ propertyPath: "newPassword", message: "The new password must differ from the current one." }],
    });
  }
  await setPassword(db, id, parsed.data.newPassword);
  return c.body(null, 202);
});
