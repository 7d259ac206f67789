import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./processr/consumer";
import type { ProcessrMessage } from "./processr/messages";

export { LeadObject } from "./leads/lead-object";
export { RateLimiter } from "./ratelimit/rate-limiter";
export { OutboundHostLimiter } from "./integrations/host-limiter";

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env, ProcessrMessage>;
