import { eq, or, sql } from "drizzle-orm";
import { z } from "zod";
import { newPasswordSchema, setPassword } from "../../auth/account";
import { codeClosing } from "../../auth/codes";
import { hashPassword } from "../../auth/password";
import { forgetSession, revokeSessions, sessionRevocation } from "../../auth/sessions";
import { publishers, USER_ROLES, users } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, intValue, orderFilter, stringValue, enumValue } from "../../hydra/query";
import { type Ctx, defineResource, field, type WriteOp } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";

// /api/v4/users: admins only. Never renders a password hash; a password given on create or
// update is hashed (PBKDF2, src/auth/password.ts). DELETE disables the user (notes keep their author);
// like setting the password, `disabled: true` or a new role, publisher or MFA telephone, it ends the
// user's sessions.
type Row = typeof users.$inferSelect;
const w = { writable: true };

const password = newPasswordSchema;

const base = tableWrites({
  table: users,
  id: users.id,
  shape: {
    username: z.email().max(255),
    name: z.string().trim().max(255),
    role: z.enum(USER_ROLES),
    publisher: relation("publishers").nullable(),
    mfaTelephone: z.string().regex(/^\+[1-9]\d{6,14}$/, "Expected an E.164 telephone number.").nullable(),
    disabled: z.boolean(),
  },
  required: ["username", "role"],
  rename: { publisher: "publisherId" },
  refs: (d) => [{ propertyPath: "publisher", path: "publishers", table: publishers, id: d.publisher }],
  uniqueProperty: "username",
  async validate(ctx, d, id) {
    const current = id === undefined ? undefined : await ctx.db.select().from(users).where(eq(users.id, id)).get();
    const role = d.role ?? current?.role;
    const publisher = d.publisher !== undefined ? d.publisher : current?.publisherId ?? null;
    if (role === "publisher" && publisher === null) throw unprocessable([{ propertyPath: "publisher", message: "A publisher user needs a publisher." }]);
    if (role === "admin" && publisher !== null) throw unprocessable([{ propertyPath: "publisher", message: "An admin belongs to no publisher." }]);
  },
  // An access token carries the user's role and publisher, and the MFA telephone is a login factor
  // (MFA on, off, or another number): a change to any of them ends the sessions. A new telephone or
  // username (where a user without a telephone gets reset codes) closes the codes sent to the old
  // destination. Both in the change's own batch (before the update, so the row is compared as it
  // was; the same value sent again changes nothing).
  audit: {
    update(ctx, d, id) {
      const newTelephone = d.mfaTelephone === undefined ? undefined : sql`${users.mfaTelephone} IS NOT ${d.mfaTelephone}`;
      const sessionsEnd = or(
        d.role === undefined ? undefined : sql`${users.role} IS NOT ${d.role}`,
        d.publisher === undefined ? undefined : sql`${users.publisherId} IS NOT ${d.publisher}`,
        newTelephone,
      );
      const codesStale = or(newTelephone, d.username === undefined ? undefined : sql`${users.username} IS NOT ${d.username}`);
      return [
        ...(codesStale ? codeClosing(ctx.db, id, ctx.now, codesStale) : []),
        ...(sessionsEnd ? sessionRevocation(ctx.db, id, ctx.now, sessionsEnd) : []),
      ];
    },
  },
});

const withPasswordSchema = (op: WriteOp<Record<string, unknown>>, required: boolean) =>
  (op.schema as unknown as z.ZodObject).extend({ password: required ? password : password.optional() }) as unknown as z.ZodType<Record<string, unknown>>;

// The hash is computed before the write, so a row never exists without its password.
const create: WriteOp<Record<string, unknown>> = {
  schema: withPasswordSchema(base.create, true),
  async run(ctx, data) {
    const { password: pw, ...rest } = data as { password: string };
    return base.create.run(ctx, { ...rest, passwordHash: await hashPassword(pw), passwordChangedTs: ctx.now });
  },
};

// Setting the password or disabling the user ends the user's sessions (src/auth/sessions.ts): the
// new password and the revocation are one transaction, after the other fields are validated and
// written (a new role or publisher ends them in the fields' own batch, above). A disabled user is refused at once whatever happens next, by login, refresh and tokens.
const update: WriteOp<Record<string, unknown>> = {
  schema: withPasswordSchema(base.update, false),
  async run(ctx: Ctx, data, id) {
    const { password: pw, ...rest } = data as {
      password?: string; disabled?: boolean; role?: string; publisher?: number | null; mfaTelephone?: string | null;
    };
    await base.update.run(ctx, rest, id);
    if (pw !== undefined) await setPassword(ctx.db, id!, pw, ctx.now);
    else if (rest.disabled === true) await revokeSessions(ctx.db, id!, ctx.now);
    // Re-enabled, or sessions ended by a new role, publisher or telephone (base's audit): seen here at once.
    else if (rest.disabled === false || rest.role !== undefined || rest.publisher !== undefined || rest.mfaTelephone !== undefined) {
      forgetSession(id!);
    }
    return id!;
  },
};

export const userResource = defineResource<Row>({
  type: "User",
  path: "users",
  title: "User",
  description: "A person or system that logs in: admins run the enterprise, publisher users read their own leads.",
  table: users,
  id: users.id,
  fields: {
    id: field("integer", (u) => u.id),
    username: field("string", (u) => u.username, { ...w, required: true }),
    name: field("string", (u) => u.name, w),
    role: field("string", (u) => u.role, { ...w, required: true, description: "admin or publisher" }),
    publisher: field({ link: "Publisher" }, (u) => (u.publisherId === null ? null : iri("publishers", u.publisherId)), w),
    mfaTelephone: field("string", (u) => u.mfaTelephone, { ...w, description: "SMS multi-factor telephone (E.164); null = no MFA." }),
    disabled: field("boolean", (u) => u.disabled, w),
    passwordExpiresTs: field("dateTime", (u) => isoTs(u.passwordExpiresTs)),
    passwordChangedTs: field("dateTime", (u) => isoTs(u.passwordChangedTs)),
    createdTs: field("dateTime", (u) => isoTs(u.createdTs)),
    updatedTs: field("dateTime", (u) => isoTs(u.updatedTs)),
  },
  filters: [
    exact("id", users.id, intValue),
    exact("username", users.username, stringValue),
    exact("role", users.role, enumValue(USER_ROLES)),
    exact("publisher.id", users.publisherId, intValue),
    orderFilter({ id: users.id, username: users.username }),
  ],
  scope: () => "admin",
  create,
  update,
  async remove(ctx, id) {
    await revokeSessions(ctx.db, id, ctx.now, [
      ctx.db.update(users).set({ disabled: true, updatedTs: ctx.now }).where(sql`${users.id} = ${id}`),
    ]);
  },
});
