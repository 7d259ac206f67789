import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import { createJob } from "../../bulk/jobs";
import { isDelivered } from "../../bulk/operations";
import { fromCsv, fromJson, type Selection, selectionShape } from "../../bulk/selection";
import { getDb } from "../../db/client";
import { type BulkOperation, leads } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { decodeUtf8, parseMultipart, readBodyBytes } from "../../http/body";
import { plainJson } from "../../http/plain-json";
import { iri, LD_JSON } from "../../hydra/jsonld";
import { context, itemBody } from "../../hydra/resource";
import { readJsonObject, relation, unprocessable, validate } from "../../hydra/write";
import { FLAG_IDS } from "./access";
import { bulkJobResource } from "./bulk-jobs";

// Bulk lead operations (admins, as single-lead writes): POST /api/v4/leads-bulk-{flag, deliver,
// undeliver, metadata, reprocess, delete} answer 202 at once with a BulkJob (/api/v4/bulk-jobs/{id})
// that the bulk queue works through (src/bulk); POST /api/v4/is-lead-delivered answers at once.
// Leads are chosen in a JSON body ("leads": ids or IRIs, "leadHashes", or "filter": a v4 lead
// query string), or by a CSV file of ids or hashes uploaded as multipart/form-data ("file", with
// the operation's other fields beside it).

/** An uploaded CSV may be this large (100,000 lead hashes fit). */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
/** is-lead-delivered answers for at most this many leads. */
export const MAX_DELIVERY_CHECK = 1000;

const reason = z.string().trim().min(1, "A reason is required.").max(1000);
const FLAG_NAMES = new Map<number, string>(Object.entries(FLAG_IDS).map(([name, id]) => [id, name]));

interface BulkOp {
  schema: z.ZodObject;
  /** What the job keeps of the validated fields (its parameters). */
  params(data: Record<string, unknown>): Record<string, string | null>;
}

/** An operation's fields; the schema types its params function. */
const op = <S extends z.ZodObject>(schema: S, params: (d: z.infer<S>) => Record<string, string | null>): BulkOp => ({
  schema,
  params: (d) => params(d as z.infer<S>),
});
const withReason = op(z.object({ reason: reason.optional() }), (d) => ({ reason: d.reason ?? null }));

const OPERATIONS = new Map<BulkOperation, BulkOp>([
  [
    "flag",
    op(
      z.object({
        leadFlag: relation("lead-flags").refine((id) => id === 1 || id === 2 || id === 4, "A bulk flag is Valid (1), Invalid (2) or Test (4)."),
        reason,
      }),
      (d) => ({ flag: FLAG_NAMES.get(d.leadFlag)!, reason: d.reason }),
    ),
  ],
  ["deliver", withReason],
  ["undeliver", withReason],
  [
    "metadata",
    op(z.object({ metadata: z.enum(["Replacement", "Other", "None"]), comment: z.string().trim().max(1000).optional() }), (d) => ({
      metadata: d.metadata,
      comment: d.comment || null,
    })),
  ],
  ["reprocess", op(z.object({}), () => ({}))],
  ["delete", withReason],
]);

/** The body as fields, and the uploaded CSV if the request is multipart. */
async function readRequest(c: Context<AppEnv>): Promise<{ fields: Record<string, unknown>; csv: string | null }> {
  const type = (c.req.header("Content-Type") ?? "").toLowerCase();
  if (!type.startsWith("multipart/form-data")) return { fields: await readJsonObject(c, "json"), csv: null };
  const form = await parseMultipart(c.req.header("Content-Type")!, await readBodyBytes(c, MAX_UPLOAD_BYTES));
  const fields: Record<string, unknown> = Object.create(null);
  let csv: string | null = null;
  for (const [key, value] of form.entries()) {
    if (key === "file" && typeof value !== "string") csv = decodeUtf8(new Uint8Array(await value.arrayBuffer()));
    else if (Object.hasOwn(fields, key)) throw new ApiError("BAD_REQUEST", `Field "${key}" is given more than once.`);
    else fields[key] = value;
  }
  if (csv === null) throw unprocessable([{ propertyPath: "file", message: "A CSV file of lead ids or hashes is required." }]);
  return { fields, csv };
}

/** Validates the operation's fields and the selection (strict: an unknown field is a 422). */
async function parse(c: Context<AppEnv>, schema: z.ZodObject, live: boolean) {
  const ctx = context(c);
  const { fields, csv } = await readRequest(c);
  const shape = csv === null ? selectionShape : {};
  const data = validate(schema.extend(shape).strict(), fields) as Record<string, unknown> & Parameters<typeof fromJson>[1];
  const selection: Selection = csv === null ? fromJson(ctx, data, live) : fromCsv(csv, live);
  return { ctx, data, selection };
}

export const leadsBulk = new Hono<AppEnv>();

for (const [operation, def] of OPERATIONS) {
  leadsBulk.post(`/leads-bulk-${operation}`, authenticate(), requireAdmin, async (c) => {
    // A deletion also takes deleted leads (deleting again changes nothing); the others only live ones.
    const { ctx, data, selection } = await parse(c, def.schema, operation !== "delete");
    const p = ctx.principal;
    const jobId = await createJob(c.env, { operation, params: def.params(data), userId: p.userId, author: p.username }, selection);
    const body = await itemBody(bulkJobResource, ctx, jobId);
    return new Response(plainJson(body, c.env), {
      status: 202,
      headers: { "Content-Type": LD_JSON, Location: iri(bulkJobResource.path, jobId), "Content-Location": iri(bulkJobResource.path, jobId) },
    });
  });
}

leadsBulk.post("/is-lead-delivered", authenticate(), requireAdmin, async (c) => {
  const { selection } = await parse(c, z.object({}), true);
  const rows = await getDb(c.env)
    .select({ id: leads.id, leadHash: leads.leadHash, flag: leads.flag, firstDeliveredTs: leads.firstDeliveredTs })
    .from(leads)
    .where(selection.where)
    .orderBy(leads.id)
    .limit(MAX_DELIVERY_CHECK + 1);
  if (rows.length > MAX_DELIVERY_CHECK) {
    throw new ApiError("BAD_REQUEST", `The selection has more than ${MAX_DELIVERY_CHECK} leads; ask for fewer at a time.`);
  }
  const ids = new Set(rows.map((r) => r.id));
  const hashes = new Set(rows.map((r) => r.leadHash));
  return c.json({
    leads: rows.map((r) => ({
      "@id": iri("leads", r.id),
      id: r.id,
      leadHash: r.leadHash,
      leadStatus: r.flag,
      // Delivered = Valid or Test; integrated = handed to the client by an integration.
      delivered: isDelivered(r.flag),
      integrated: r.firstDeliveredTs !== null,
    })),
    unknown: [
      ...selection.ids.filter((id) => !ids.has(id)).map(String),
      ...selection.hashes.filter((h) => !hashes.has(h)),
      ...selection.refused.map((r) => r.input),
    ],
  });
});
