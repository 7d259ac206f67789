import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./processr/consumer";
import type { ProcessrMessage } from "./processr/messages";
import { sweepUnqueuedLeads } from "./processr/sweeper";

export { LeadObject } from "./leads/lead-object";
export { RateLimiter } from "./ratelimit/rate-limiter";
export { OutboundHostLimiter } from "./integrations/host-limiter";

export default {
  fetch: app.fetch,
  queue: handleQueue,
  // Cron (wrangler.toml [triggers]): re-enqueue leads whose Processr message was never sent.
  scheduled: (_controller, env, ctx) => ctx.waitUntil(sweepUnqueuedLeads(env)),
} satisfies ExportedHandler<Env, ProcessrMessage>;
