import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { validationListEntries, validationLists } from "../../db/schema";
import type { AppEnv } from "../../env";
import { csvDownload, csvExportRoute } from "../../hydra/csv-export";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, intValue, orderFilter, type QueryParams, stringValue } from "../../hydra/query";
import { type Ctx, defineResource, field, requireAdminCtx, type WriteOp } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";
import { eraseEmails } from "../../lists/erasure";
import { normaliseListValue } from "../../lists/normalise";

// /api/v4/validation-list-entries (admins only): the values of the validation lists, one item
// each, stored normalised for the list's kind (src/lists/normalise.ts). POST adds a value (a value
// already on the list answers with its existing entry), DELETE removes one. Adding an email to an
// erasure list erases that person's leads at once (src/lists/erasure.ts; a person with very many
// leads is finished on the bulk queue), and adding it again erases whatever was captured since.
// The collection with Accept: text/csv exports every entry the same filters select.
type Row = typeof validationListEntries.$inferSelect;

const schema = z
  .object({
    validationList: relation("validation-lists"),
    value: z.string().max(320, "This value is too long (320 characters at most)."),
  })
  .strict();

const create: WriteOp<z.infer<typeof schema>> = {
  schema,
  async run(ctx, data) {
    const list = await ctx.db.select().from(validationLists).where(eq(validationLists.id, data.validationList)).get();
    if (!list) throw unprocessable([{ propertyPath: "validationList", message: `Item not found for "${iri("validation-lists", data.validationList)}".` }]);
    const normalised = normaliseListValue(list.kind, data.value);
    if ("error" in normalised) throw unprocessable([{ propertyPath: "value", message: normalised.error }]);
    const { value } = normalised;
    const [inserted] = await ctx.db
      .insert(validationListEntries)
      .values({ listId: list.id, value, createdTs: ctx.now })
      .onConflictDoNothing()
      .returning({ id: validationListEntries.id });
    const id =
      inserted?.id ??
      (await ctx.db
        .select({ id: validationListEntries.id })
        .from(validationListEntries)
        .where(and(eq(validationListEntries.listId, list.id), eq(validationListEntries.value, value)))
        .get())!.id;
    if (list.erasure) {
      await eraseEmails(ctx.env, { type: "erasure", listId: list.id, emails: [value], userId: ctx.principal.userId, author: ctx.principal.username });
    }
    return id;
  },
};

const filters = [
  exact("id", validationListEntries.id, intValue),
  exact("validationList.id", validationListEntries.listId, intValue),
  exact("value", validationListEntries.value, stringValue),
  orderFilter({ id: validationListEntries.id, value: validationListEntries.value }),
];

export const validationListEntryResource = defineResource<Row>({
  type: "ValidationListEntry",
  path: "validation-list-entries",
  title: "ValidationListEntry",
  description:
    "One value of a validation list, normalised for the list's kind (emails and domains lower-cased, telephone numbers as digits with an optional leading +). " +
    "Adding an email to an erasure list erases that person's leads. Accept: text/csv exports the selected entries.",
  table: validationListEntries,
  id: validationListEntries.id,
  fields: {
    id: field("integer", (r) => r.id),
    validationList: field({ link: "ValidationList" }, (r) => iri("validation-lists", r.listId), { writable: true, required: true }),
    value: field("string", (r) => r.value, { writable: true, required: true }),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
  },
  filters,
  scope: () => "admin",
  create,
  async remove(ctx, id) {
    await ctx.db.delete(validationListEntries).where(eq(validationListEntries.id, id));
  },
});

export const EXPORT_PAGE_SIZE = 5000;

/** The CSV export: the entries page by page (keyset on id), whatever the list's size. */
function exportEntries(ctx: Ctx, q: QueryParams): Response {
  requireAdminCtx(ctx);
  // Filters are parsed before anything is sent, so a bad one is still a Hydra 400.
  const where = and(...filters.map((f) => f.where?.(q, ctx)));
  let cursor = 0;
  return csvDownload("validation-list-entries.csv", ["value", "validationList", "listName", "kind", "createdTs"], EXPORT_PAGE_SIZE, async () => {
    const rows = await ctx.db
      .select({ entry: validationListEntries, name: validationLists.name, kind: validationLists.kind })
      .from(validationListEntries)
      .innerJoin(validationLists, eq(validationLists.id, validationListEntries.listId))
      .where(and(where, gt(validationListEntries.id, cursor)) as SQL)
      .orderBy(asc(validationListEntries.id))
      .limit(EXPORT_PAGE_SIZE);
    cursor = rows.at(-1)?.entry.id ?? cursor;
    return rows.map((r) => [r.entry.value, r.entry.listId, r.name, r.kind, isoTs(r.entry.createdTs)]);
  });
}

export const validationListEntriesExport = new Hono<AppEnv>();

// Registered before the resource: a request that does not ask for CSV goes on to it.
csvExportRoute(validationListEntriesExport, "/validation-list-entries", exportEntries);
