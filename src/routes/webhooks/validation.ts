import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { transitionLead } from "../../leads/client";
import { leadByHash, readWebhookFields, requireWebhookCredentials } from "./common";

// Delivery validation webhooks (Convertr's validation webhook documentation): the client re-flags a delivered lead.
//   POST /api/webhook/invalidate/{leadHash}   reason, user   → 201, empty body
//   POST /api/webhook/validate/{leadHash}     reason, user   → 201, empty body
// The change goes through the lead's Durable Object, so it is noted, counted and synced onward.

export const validationFieldsSchema = z.object({
  reason: z.string().trim().min(1).max(1000),
  user: z.string().trim().min(1).max(255),
});

export const validationWebhooks = new Hono<AppEnv>();

validationWebhooks.post("/:action{invalidate|validate}/:leadHash", async (c) => {
  const actor = await requireWebhookCredentials(c);
  const fields = await readWebhookFields(c, true);
  const lead = await leadByHash(c, c.req.param("leadHash"));
  const parsed = validationFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const missing = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new ApiError("BAD_REQUEST", `Missing or invalid field(s): ${missing.join(", ")}`);
  }
  const result = await transitionLead(c.env, {
    leadId: lead.id,
    to: c.req.param("action") === "validate" ? "Valid" : "Invalid",
    source: "webhook",
    userId: actor.userId,
    author: `${parsed.data.user} (webhook, ${actor.via})`,
    reason: parsed.data.reason,
  });
  if (!result.ok) {
    throw result.code === "NOT_FOUND" ? new ApiError("NOT_FOUND", "Lead not found") : new ApiError("CONFLICT", result.message);
  }
  return c.body(null, 201);
});
