import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { EXTENSIONS_PATH, SYNC_WITH_LEAD } from "../integrations/convertr-client";

// GET /.well-known/leadflare: what this instance offers beyond Convertr's documented API, so that
// a Convertr Connect sender (src/integrations/convertr-client.ts) uses it only where it exists.
//   syncSubscriptions: sync tags, POST {leadId, callbackUrl, secret} with the campaign publisher's
//   credentials; status changes come back as Standard Webhooks callbacks (src/routes/sync-subscriptions.ts).
//   syncCallbackBatches: the callback path that also takes a batch of events in one signed request
//   (src/routes/webhooks/sync.ts); a sender batches only to a receiver that advertises it.
//   syncWithLead: the name of the header with which the publisher API's lead POST also takes the
//   new lead's sync subscription (SYNC_WITH_LEAD, src/routes/sync-subscriptions.ts), so that a sender makes one request where
//   the documented lead POST and subscription would be two; a sender uses it only when advertised.
export const wellKnown = new Hono<AppEnv>();

/** Where this instance receives sync-tag callbacks (src/routes/webhooks, mounted at /api/webhook). */
export const SYNC_CALLBACK_PATH = "/api/webhook/sync";

export const extensionsSchema = z.object({
  name: z.literal("leadflare"),
  enterprise: z.string(),
  extensions: z.object({ syncSubscriptions: z.string(), syncCallbackBatches: z.string().optional(), syncWithLead: z.string().optional() }),
});

wellKnown.get(EXTENSIONS_PATH, (c) =>
  c.json({
    name: "leadflare",
    enterprise: c.env.ENTERPRISE,
    extensions: { syncSubscriptions: "/api/sync/subscriptions", syncCallbackBatches: SYNC_CALLBACK_PATH, syncWithLead: SYNC_WITH_LEAD.callback },
  } satisfies z.output<typeof extensionsSchema>),
);
