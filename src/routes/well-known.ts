import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { EXTENSIONS_PATH } from "../integrations/convertr-client";

// GET /.well-known/leadflare: what this instance offers beyond Convertr's documented API, so that
// a Convertr Connect sender (src/integrations/convertr-client.ts) uses it only where it exists.
//   syncSubscriptions: sync tags, POST {leadId, callbackUrl, secret} with the campaign publisher's
//   credentials; status changes come back as Standard Webhooks callbacks (src/routes/sync-subscriptions.ts).
export const wellKnown = new Hono<AppEnv>();

export const extensionsSchema = z.object({
  name: z.literal("leadflare"),
  enterprise: z.string(),
  extensions: z.object({ syncSubscriptions: z.string() }),
});

wellKnown.get(EXTENSIONS_PATH, (c) =>
  c.json({
    name: "leadflare",
    enterprise: c.env.ENTERPRISE,
    extensions: { syncSubscriptions: "/api/sync/subscriptions" },
  } satisfies z.output<typeof extensionsSchema>),
);
