import { and, eq } from "drizzle-orm";
import { BULK_OPERATIONS, bulkJobItems, bulkJobs } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { enumValue, exact, inList, intValue, orderFilter } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";

// GET /api/v4/bulk-jobs[/{id}] (admins): the progress of bulk lead operations (src/bulk): how many
// leads were selected, done and failed, and why each failed one failed.
type Row = typeof bulkJobs.$inferSelect;
type Failure = { lead: string | null; input: string | null; message: string | null };

/** Failures listed per job in the representation; the counters always count all of them. */
export const MAX_LISTED_ERRORS = 1000;

async function load(ctx: Ctx, rows: Row[]) {
  const failed = await ctx.db
    .select({ jobId: bulkJobItems.jobId, leadId: bulkJobItems.leadId, input: bulkJobItems.input, message: bulkJobItems.message })
    .from(bulkJobItems)
    .where(and(inList(bulkJobItems.jobId, rows.map((r) => r.id)), eq(bulkJobItems.status, "failed")))
    .orderBy(bulkJobItems.id)
    .limit(MAX_LISTED_ERRORS * rows.length);
  const errors = new Map<number, Failure[]>();
  for (const f of failed) {
    const list = errors.get(f.jobId) ?? [];
    if (list.length < MAX_LISTED_ERRORS) list.push({ lead: f.leadId === null ? null : iri("leads", f.leadId), input: f.input, message: f.message });
    errors.set(f.jobId, list);
  }
  return errors;
}

export const bulkJobResource = defineResource<Row, Map<number, Failure[]>>({
  type: "BulkJob",
  path: "bulk-jobs",
  title: "BulkJob",
  description: "A bulk lead operation (leads-bulk-flag, -deliver, -undeliver, -metadata, -reprocess, -delete) and its progress.",
  table: bulkJobs,
  id: bulkJobs.id,
  fields: {
    id: field("integer", (r) => r.id),
    operation: field("string", (r) => r.operation, { description: "flag, deliver, undeliver, metadata, reprocess or delete" }),
    parameters: field("json", (r) => r.params, { description: "What the request asked for (flag and reason, metadata and comment)." }),
    status: field("string", (r) => r.status, { description: "running, or done once no lead is pending" }),
    total: field("integer", (r) => r.total, { description: "Leads selected, unknown ids, hashes and refused CSV rows included." }),
    done: field("integer", (r) => r.done),
    failed: field("integer", (r) => r.failed),
    pending: field("integer", (r) => r.total - r.done - r.failed),
    errors: field("json", (r, x) => x.get(r.id) ?? [], {
      description: `Failed leads and inputs, in order ({lead, input, message}; the first ${MAX_LISTED_ERRORS}).`,
    }),
    author: field("string", (r) => r.author),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
    updatedTs: field("dateTime", (r) => isoTs(r.updatedTs)),
    finishedTs: field("dateTime", (r) => isoTs(r.finishedTs), { nullable: true }),
  },
  filters: [
    exact("id", bulkJobs.id, intValue),
    exact("status", bulkJobs.status, enumValue(["running", "done"])),
    exact("operation", bulkJobs.operation, enumValue(BULK_OPERATIONS)),
    orderFilter({ id: bulkJobs.id }),
  ],
  scope: () => "admin",
  load,
});
