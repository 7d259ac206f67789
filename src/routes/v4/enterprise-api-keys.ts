import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import { randomHex, sha256Hex } from "../../auth/crypto";
import { getDb } from "../../db/client";
import { enterpriseApiKeys } from "../../db/schema";
import type { AppEnv } from "../../env";
import { isoTs } from "../../hydra/format";
import { iri, LD_JSON } from "../../hydra/jsonld";
import { orderFilter } from "../../hydra/query";
import { context, defineResource, field, itemBody } from "../../hydra/resource";
import { readJsonObject, validate } from "../../hydra/write";
import { plainJson } from "../../http/plain-json";

// /api/v4/enterprise-api-keys (admins): the enterprise-level keys of the campaign duplication API
// (POST /duplicate-campaign with x-api-key). POST issues one and shows it once; only its SHA-256
// is stored. DELETE revokes it at once.
type Row = typeof enterpriseApiKeys.$inferSelect;

/** "ek_" and 32 random bytes in hex: told apart at a glance from campaign-publisher keys (32 hex). */
export const newEnterpriseKey = () => `ek_${randomHex(32)}`;

export const enterpriseApiKeyResource = defineResource<Row>({
  type: "EnterpriseApiKey",
  path: "enterprise-api-keys",
  title: "EnterpriseApiKey",
  description: "An enterprise-level API key for the campaign duplication API; the key itself is shown once, when it is issued.",
  table: enterpriseApiKeys,
  id: enterpriseApiKeys.id,
  fields: {
    id: field("integer", (r) => r.id),
    name: field("string", (r) => r.name, { writable: true, required: true }),
    active: field("boolean", (r) => r.revokedTs === null, { description: "False once revoked (DELETE)." }),
    createdBy: field({ link: "User" }, (r) => (r.createdBy === null ? null : iri("users", r.createdBy)), { nullable: true }),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
    revokedTs: field("dateTime", (r) => isoTs(r.revokedTs), { nullable: true }),
  },
  filters: [orderFilter({ id: enterpriseApiKeys.id })],
  scope: () => "admin",
  async remove(ctx, id) {
    await ctx.db.update(enterpriseApiKeys).set({ revokedTs: ctx.now }).where(eq(enterpriseApiKeys.id, id));
  },
});

const issueSchema = z.object({ name: z.string().trim().min(1, "This value should not be blank.").max(255) }).strict();

export const enterpriseApiKeyIssue = new Hono<AppEnv>();

enterpriseApiKeyIssue.post("/enterprise-api-keys", authenticate(), requireAdmin, async (c) => {
  const ctx = context(c);
  const { name } = validate(issueSchema, await readJsonObject(c, "json"));
  const key = newEnterpriseKey();
  const [row] = await getDb(c.env)
    .insert(enterpriseApiKeys)
    .values({ name, keyHash: await sha256Hex(key), createdBy: ctx.principal.userId, createdTs: ctx.now })
    .returning({ id: enterpriseApiKeys.id });
  const body = { ...(await itemBody(enterpriseApiKeyResource, ctx, row!.id)), key };
  return new Response(plainJson(body, c.env), {
    status: 201,
    headers: { "Content-Type": LD_JSON, "Content-Location": iri(enterpriseApiKeyResource.path, row!.id) },
  });
});

/** The live key with this value, or null (looked up by its SHA-256). */
export async function findEnterpriseKey(env: AppEnv["Bindings"], key: string): Promise<Row | null> {
  const row = await getDb(env).select().from(enterpriseApiKeys).where(eq(enterpriseApiKeys.keyHash, await sha256Hex(key))).get();
  return row && row.revokedTs === null ? row : null;
}
