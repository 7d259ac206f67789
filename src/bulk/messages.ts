import { z } from "zod";
import { erasureMessage } from "../lists/erasure";

// Messages on the bulk queue, validated when consumed (delivery is at-least-once):
// - one batch of one bulk job (at most BATCH_SIZE leads);
// - one step of a Convertr Connect job's sync-tag back-fill (src/integrations/sync-tags-backfill.ts):
//   `step` is the back-fill's claim token, `afterId` the last integration delivery it went past;
// - one batch of a GDPR erasure (src/lists/erasure.ts);
// - the next ranges of what migrations left to backfill (src/db/backfills.ts): the message says
//   nothing more, the ranges are taken from the cursors in D1.
export const syncTagsBackfillMessage = z.object({
  type: z.literal("syncTagsBackfill"),
  jobId: z.number().int().positive(),
  step: z.number().int().nonnegative(),
  afterId: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
});
export type SyncTagsBackfillMessage = z.infer<typeof syncTagsBackfillMessage>;

export const bulkBatchMessage = z.object({ jobId: z.number().int().positive(), batch: z.number().int().nonnegative() });
export type BulkBatchMessage = z.infer<typeof bulkBatchMessage>;

export const backfillsMessage = z.object({ type: z.literal("backfills") });

export const bulkMessage = z.union([backfillsMessage, syncTagsBackfillMessage, erasureMessage, bulkBatchMessage]);
export type BulkMessage = z.infer<typeof bulkMessage>;

/** Leads per queue message: one Worker invocation handles this many lead-object calls. */
export const BATCH_SIZE = 100;

/** The bulk queue's name ends so (wrangler.toml); the queue handler tells the queues apart by it. */
export const isBulkQueue = (queue: string) => queue.endsWith("-bulk");
