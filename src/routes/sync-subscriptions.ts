import { type Context, Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../auth/authenticate";
import { apiKeyOwner } from "../auth/publisher-tokens";
import type { AppEnv, Principal } from "../env";
import { ApiError, notFound } from "../errors";
import { readFlatFields } from "../http/body";
import { SYNC_WITH_LEAD } from "../integrations/convertr-client";
import { checkOutboundUrl, OutboundUrlError } from "../integrations/outbound-url";
import { subscribeToLead } from "../leads/client";
import { validSecret } from "../leads/lead-object";
import { renderWebhookError } from "./webhooks/errors";
import { restoreArchivedLead } from "../archive/restore";

// The receiving side of sync tags (Convertr's Connect help article, "Place Sync Tags"), mounted at /api/sync and
// advertised at /.well-known/leadflare. An upstream enterprise that delivered a lead here as a
// campaign publisher subscribes, with the same credentials (its API-key grant token or key), to that
// lead's status changes; the lead's Durable Object then calls the callback, signed with
// the given secret, at once if the lead is already flagged and on every later transition.
//   POST /api/sync/subscriptions {leadId, callbackUrl, secret} → 201 {subscriptionId, leadId, leadHash};
//     409 once the lead has MAX_SUBSCRIPTIONS_PER_LEAD (5) active subscriptions
//   GET  /api/sync/credentials → the campaign and publisher of the credentials
// The publisher API's lead POST also takes a new lead's subscription in SYNC_WITH_LEAD's headers
// (subscribeWithLead below), so that a leadflare sender needs one request instead of two.

export const subscriptionSchema = z.object({
  leadId: z.coerce.number().int().positive(),
  callbackUrl: z.string().trim().min(1).max(2048),
  // Standard Webhooks: 24–64 random bytes, base64; the lead object's own check, so both agree.
  secret: z.string().max(100).refine(validSecret, "Must be a Standard Webhooks secret: whsec_ + base64 of 24–64 bytes."),
});

export const subscriptionCreatedSchema = z.object({ subscriptionId: z.number().int(), leadId: z.number().int(), leadHash: z.string() });
export const credentialsSchema = z.object({ campaignId: z.number().int(), publisherId: z.number().int() });

function apiKeyPrincipal(p: Principal): Extract<Principal, { kind: "apiKey" }> {
  if (p.kind !== "apiKey") {
    throw new ApiError("FORBIDDEN", "Use the campaign publisher's credentials: its API-key grant token or its API key (X-Api-Key).");
  }
  return p;
}

export const syncSubscriptions = new Hono<AppEnv>();
syncSubscriptions.onError(renderWebhookError);

syncSubscriptions.get("/credentials", authenticate({ apiKey: true }), (c) => {
  const p = apiKeyPrincipal(c.var.principal);
  return c.json({ campaignId: p.campaignId, publisherId: p.publisherId } satisfies z.output<typeof credentialsSchema>);
});

syncSubscriptions.post("/subscriptions", authenticate({ apiKey: true }), async (c) => {
  const p = apiKeyPrincipal(c.var.principal);
  const parsed = subscriptionSchema.safeParse(await readFlatFields(c));
  if (!parsed.success) {
    throw new ApiError("BAD_REQUEST", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const { leadId, callbackUrl, secret } = parsed.data;
  try {
    checkOutboundUrl(c.env, callbackUrl);
  } catch (e) {
    if (e instanceof OutboundUrlError) throw new ApiError("BAD_REQUEST", `callbackUrl: ${e.message}`);
    throw e;
  }
  // Only the leads this key delivered: same campaign, same publisher. A subscription is a write: an
  // archived lead of theirs is restored to D1 first (src/archive).
  const find = () =>
    c.env.DB.prepare("SELECT id, lead_hash FROM leads WHERE id = ? AND campaign_id = ? AND publisher_id = ? AND deleted_ts IS NULL")
      .bind(leadId, p.campaignId, p.publisherId)
      .first<{ id: number; lead_hash: string }>();
  let lead = await find();
  if (!lead && (await restoreArchivedLead(c.env, leadId, { campaignId: p.campaignId, publisherId: p.publisherId }))) lead = await find();
  if (!lead) throw notFound("Lead not found");

  // The lead object keeps one subscription per (lead, key, callback URL): a retried call gets the
  // same subscription back, with the latest secret.
  const result = await subscribeToLead(c.env, { leadId: lead.id, campaignPublisherId: p.campaignPublisherId, callbackUrl, secret });
  if (!result.ok) {
    if (result.code === "NOT_FOUND") throw notFound("Lead not found");
    if (result.code === "TOO_MANY_SUBSCRIPTIONS") throw new ApiError("CONFLICT", result.message);
    // INVALID_CALLBACK covers the callback URL and the secret; name the one that was refused.
    throw new ApiError("BAD_REQUEST", `${validSecret(secret) ? "callbackUrl" : "secret"}: ${result.message}`);
  }
  const body: z.output<typeof subscriptionCreatedSchema> = { subscriptionId: result.subscriptionId, leadId: lead.id, leadHash: lead.lead_hash };
  return c.json(body, 201);
});

/**
 * The subscription a publisher API lead POST asks for in SYNC_WITH_LEAD's headers (callback URL and
 * secret, as the subscription body would carry them), made once the lead exists, with the request's
 * campaign-publisher credentials: the answer's headers that say it was made (its id and the lead's
 * hash). None when the request asks for none or it cannot be made here (a user's token, a callback or
 * secret the subscription route refuses, the lead object failing): the lead stands either way, and
 * the sender then subscribes with POST /api/sync/subscriptions, whose answer says what is wrong.
 */
export async function subscribeWithLead(c: Context<AppEnv>, leadId: number, apiKey: string | null): Promise<Record<string, string>> {
  const callbackUrl = c.req.header(SYNC_WITH_LEAD.callback);
  if (callbackUrl === undefined) return {};
  const parsed = subscriptionSchema.safeParse({ leadId, callbackUrl, secret: c.req.header(SYNC_WITH_LEAD.secret) });
  if (!parsed.success) return {};
  try {
    // An X-Api-Key was checked by capture's read, which does not name its campaign publisher; a token names it.
    const principal = c.get("principal") as Principal | undefined;
    const campaignPublisherId =
      apiKey !== null ? (await apiKeyOwner(c.env, apiKey))?.id : principal?.kind === "apiKey" ? principal.campaignPublisherId : undefined;
    if (campaignPublisherId === undefined) return {};
    const result = await subscribeToLead(c.env, { ...parsed.data, campaignPublisherId });
    if (!result.ok) return {};
    return { [SYNC_WITH_LEAD.subscription]: String(result.subscriptionId), [SYNC_WITH_LEAD.leadHash]: result.leadHash };
  } catch (e) {
    console.error("sync subscription with the lead failed; the sender subscribes on its own", leadId, String(e));
    return {};
  }
}
