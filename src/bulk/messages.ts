// Messages on the bulk queue: one batch of one bulk job (at most BATCH_SIZE leads).
export interface BulkMessage {
  jobId: number;
  batch: number;
}

/** Leads per queue message: one Worker invocation handles this many lead-object calls. */
export const BATCH_SIZE = 100;

/** The bulk queue's name ends so (wrangler.toml); the queue handler tells the queues apart by it. */
export const isBulkQueue = (queue: string) => queue.endsWith("-bulk");
