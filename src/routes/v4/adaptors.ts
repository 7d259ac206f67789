import { z } from "zod";
import { adaptors } from "../../db/schema";
import { ApiError } from "../../errors";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { exact, intValue, orderFilter } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { adaptorFields } from "../../integrations/http-integration";

// /api/v4/adaptors (admins only): named field mappings that HTTP integrations share by id
// (config.adaptorId); editing one changes what every integration using it sends.
type Row = typeof adaptors.$inferSelect;

const w = { writable: true };
const writes = tableWrites({
  table: adaptors,
  id: adaptors.id,
  shape: { name: z.string().trim().min(1).max(255), fields: adaptorFields },
  required: ["name", "fields"],
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
  description: "A named field mapping (lead field → outgoing key, with a default) that HTTP integrations use by id (config.adaptorId).",
  table: adaptors,
  id: adaptors.id,
  fields: {
    id: field("integer", (r) => r.id),
    name: field("string", (r) => r.name, { ...w, required: true }),
    fields: field("json", (r) => r.fields, {
      ...w,
      required: true,
      description: "Rows of { label, field, mappedTo, defaultValue }, as an HTTP integration's inline config.fields.",
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
