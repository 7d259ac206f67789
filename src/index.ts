import { app } from "./app";
import { archiveOldLeads } from "./archive/archive-job";
import { handleBulkQueue, resumeStalledJobs } from "./bulk/jobs";
import { type BulkMessage, isBulkQueue } from "./bulk/messages";
import { applyScheduledPauses } from "./campaigns/scheduled-pause";
import { advanceBackfills } from "./db/backfills";
import type { Env } from "./env";
import { handleQueue } from "./processr/consumer";
import type { ProcessrMessage } from "./processr/messages";
import { sweepUnqueuedLeads } from "./processr/sweeper";

export { LeadObject } from "./leads/lead-object";
export { RateLimiter } from "./ratelimit/rate-limiter";
export { OutboundHostLimiter } from "./integrations/host-limiter";

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) =>
    isBulkQueue(batch.queue)
      ? handleBulkQueue(batch as MessageBatch<BulkMessage>, env)
      : handleQueue(batch as MessageBatch<ProcessrMessage>, env, ctx),
  // Cron (wrangler.toml [triggers]): re-enqueue leads whose Processr message was never sent, the
  // batches of bulk jobs that stopped moving, pause the campaigns whose scheduled pause has come,
  // move leads past their hot window to the archive (src/archive), and do some of what migrations
  // left to backfill, handing the rest on to a chain of queue messages (src/db/backfills.ts).
  scheduled: (_controller, env, ctx) =>
    ctx.waitUntil(Promise.all([sweepUnqueuedLeads(env), resumeStalledJobs(env), applyScheduledPauses(env), archiveOldLeads(env), advanceBackfills(env)])),
} satisfies ExportedHandler<Env, ProcessrMessage | BulkMessage>;
