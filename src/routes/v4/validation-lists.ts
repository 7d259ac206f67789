import { sql } from "drizzle-orm";
import { z } from "zod";
import { VALIDATION_LIST_KINDS, validationListEntries, validationLists } from "../../db/schema";
import { ApiError } from "../../errors";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { boolValue, enumValue, exact, intValue, orderFilter, partial, valueList } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { unprocessable } from "../../hydra/write";

// /api/v4/validation-lists (admins only): the enterprise's suppression lists of emails, email
// domains or telephone numbers, checked by the validation_list_check job. Entries are their own
// resource (/api/v4/validation-list-entries), imported in bulk by CSV
// (POST /api/v4/validation-lists/{id}/import) and exported as CSV (the entries collection with
// Accept: text/csv). An erasure list (erasure: true, emails only) is the GDPR one: an email added
// to it erases that person's leads (src/lists/erasure.ts). A list's kind and erasure setting are
// fixed once it exists: its entries were normalised and erased for them.
type Row = typeof validationLists.$inferSelect;

const name = z.string().trim().min(1, "This value should not be blank.").max(255);

const creates = tableWrites({
  table: validationLists,
  id: validationLists.id,
  shape: { name, kind: z.enum(VALIDATION_LIST_KINDS), erasure: z.boolean() },
  required: ["name", "kind"],
  async validate(_ctx, d) {
    if (d.erasure && d.kind !== "email") {
      throw unprocessable([{ propertyPath: "erasure", message: "Only an email list can be an erasure list." }]);
    }
  },
});
const updates = tableWrites({ table: validationLists, id: validationLists.id, shape: { name }, required: [] });

/** Refuses to delete a list that a validation_list_check job names (409 listing the jobs). */
async function remove(ctx: Ctx, id: number) {
  const { results } = await ctx.env.DB.prepare(
    `SELECT j.id, j.label FROM campaign_processr_jobs j
      WHERE j.type = 'validation_list_check'
        AND EXISTS (SELECT 1 FROM json_each(j.config, '$.lists') l WHERE l.value IN (?1, ?2, ?3))
      ORDER BY j.id`,
  )
    .bind(id, String(id), `/api/v4/validation-lists/${id}`)
    .all<{ id: number; label: string }>();
  if (results.length) {
    const jobs = results.map((j) => `"${j.label}" (/api/v4/campaign-processr-jobs/${j.id})`).join(", ");
    throw new ApiError("CONFLICT", `The list is checked by ${jobs}; take it out of their "lists" before deleting it.`);
  }
  // Its entries go with it (ON DELETE CASCADE).
  await creates.remove(ctx, id);
}

export const validationListResource = defineResource<Row, Map<number, number>>({
  type: "ValidationList",
  path: "validation-lists",
  title: "ValidationList",
  description:
    "An enterprise-wide list of emails, email domains or telephone numbers that the validation_list_check job fails leads on. " +
    "An erasure list (emails only) also erases the personal values of the leads of every email added to it (GDPR). " +
    "Entries: /api/v4/validation-list-entries; CSV import: POST /api/v4/validation-lists/{id}/import.",
  table: validationLists,
  id: validationLists.id,
  fields: {
    id: field("integer", (r) => r.id),
    name: field("string", (r) => r.name, { writable: true, required: true }),
    kind: field("string", (r) => r.kind, { writable: true, required: true, description: "email, domain or phone; set on creation." }),
    erasure: field("boolean", (r) => r.erasure, {
      writable: true,
      description: "An erasure list (emails only; set on creation): adding an email erases that person's leads' personal values.",
    }),
    entries: field("integer", (r, counts) => counts.get(r.id) ?? 0, { description: "How many entries the list holds." }),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
    updatedTs: field("dateTime", (r) => isoTs(r.updatedTs)),
  },
  filters: [
    exact("id", validationLists.id, intValue),
    exact("kind", validationLists.kind, enumValue(VALIDATION_LIST_KINDS)),
    exact("erasure", validationLists.erasure, boolValue, { many: false }),
    partial("name", validationLists.name),
    orderFilter({ id: validationLists.id, name: validationLists.name }),
  ],
  scope: () => "admin",
  async load(ctx, rows) {
    // Counted from the (list_id, value) index alone.
    const counts = await ctx.db
      .select({ listId: validationListEntries.listId, n: sql<number>`count(*)` })
      .from(validationListEntries)
      .where(sql`${validationListEntries.listId} IN ${valueList(rows.map((r) => r.id))}`)
      .groupBy(validationListEntries.listId);
    return new Map(counts.map((c) => [c.listId, c.n]));
  },
  create: creates.create,
  update: updates.update,
  remove,
});
