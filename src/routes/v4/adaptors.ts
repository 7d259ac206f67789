import { eq } from "drizzle-orm";
import { z } from "zod";
import { adaptors } from "../../db/schema";
import { ApiError } from "../../errors";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { exact, intValue, orderFilter } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { adaptorFields } from "../../integrations/http-integration";
import { unprocessable } from "../../hydra/write";

// /api/v4/adaptors (admins only): named field mappings that HTTP integrations share by id
// (config.adaptorId; every POST integration names one); editing one changes what every
// integration using it sends. An adaptor either maps rows or sends every captured value
// (sendAllValues), never both and never nothing.
type Row = typeof adaptors.$inferSelect;

/** The adaptor as it will be: the write's values over the stored ones. */
async function checkMode(ctx: Ctx, data: { fields?: Row["fields"]; sendAllValues?: boolean }, id?: number) {
  const current =
    id === undefined || (data.fields !== undefined && data.sendAllValues !== undefined)
      ? undefined
      : await ctx.db.select({ fields: adaptors.fields, sendAllValues: adaptors.sendAllValues }).from(adaptors).where(eq(adaptors.id, id)).get();
  const fields = data.fields ?? current?.fields ?? [];
  const sendAllValues = data.sendAllValues ?? current?.sendAllValues ?? false;
  if (sendAllValues && fields.length) {
    throw unprocessable([{ propertyPath: "fields", message: "An adaptor that sends every captured value has no rows; remove them or set sendAllValues to false." }]);
  }
  if (!sendAllValues && !fields.some((r) => r.mappedTo.trim() !== "")) {
    throw unprocessable([{ propertyPath: "fields", message: "Map at least one field (a row with mappedTo), or set sendAllValues to send every captured value." }]);
  }
}

const w = { writable: true };
const writes = tableWrites({
  table: adaptors,
  id: adaptors.id,
  shape: { name: z.string().trim().min(1).max(255), fields: adaptorFields, sendAllValues: z.boolean() },
  required: ["name"],
  validate: checkMode,
  onInsert: (_ctx, d) => ({ fields: d.fields ?? [] }),
});

/** Refuses to delete an adaptor while an integration job still names it (409 listing the jobs). */
async function remove(ctx: Ctx, id: number) {
  const { results } = await ctx.env.DB.prepare(
    "SELECT id, label FROM campaign_processr_jobs WHERE type = 'http_integration' AND json_extract(config, '$.adaptorId') = ? ORDER BY id",
  )
    .bind(id)
    .all<{ id: number; label: string }>();
  if (results.length) {
    const jobs = results.map((j) => `"${j.label}" (/api/v4/campaign-processr-jobs/${j.id})`).join(", ");
    throw new ApiError("CONFLICT", `The adaptor is used by ${jobs}; point them elsewhere before deleting it.`);
  }
  await writes.remove(ctx, id);
}

export const adaptorResource = defineResource<Row>({
  type: "Adaptor",
  path: "adaptors",
  title: "Adaptor",
  description:
    "A named field mapping (lead field → outgoing key, with a default) that HTTP integrations use by id (config.adaptorId, required for POST), " +
    "or, with sendAllValues, every captured value under its own name.",
  table: adaptors,
  id: adaptors.id,
  fields: {
    id: field("integer", (r) => r.id),
    name: field("string", (r) => r.name, { ...w, required: true }),
    fields: field("json", (r) => r.fields, {
      ...w,
      description:
        "Rows of { label, field, mappedTo, defaultValue }: the lead field, the outgoing key (a comma list sends the value under each; blank rows are not sent), " +
        "the value sent when the lead has none. At least one row with mappedTo, unless sendAllValues; none with it.",
    }),
    sendAllValues: field("boolean", (r) => r.sendAllValues, {
      ...w,
      description: "true: every captured value of the lead is sent under its own name, and fields is empty. Default false.",
    }),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
    updatedTs: field("dateTime", (r) => isoTs(r.updatedTs)),
  },
  filters: [exact("id", adaptors.id, intValue), orderFilter({ id: adaptors.id })],
  scope: () => "admin",
  create: writes.create,
  update: writes.update,
  remove,
});
