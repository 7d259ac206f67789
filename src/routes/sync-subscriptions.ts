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
import type { CaptureResult } from "../leads/capture";

// The receiving side of sync tags (Convertr's Connect help article, "Place Sync Tags"), mounted at /api/sync and
// advertised at /.well-known/leadflare. An upstream enterprise that delivered a lead here as a
// campaign publisher subscribes, with the same credentials (its API-key grant token or key), to that
// lead's status changes; the lead's Durable Object then calls the callback, signed with
// the given secret, at once if the lead is already flagged and on every later transition.
//   POST /api/sync/subscriptions {leadId, callbackUrl, secret} → 201 {subscriptionId, leadId, leadHash};
//     409 once the lead has MAX_SUBSCRIPTIONS_PER_LEAD (5) active subscriptions
//   GET  /api/sync/credentials → the campaign and publisher of the credentials
// The publisher API's lead POST also takes a new lead's subscription in SYNC_WITH_LEAD's headers
// (syncWithLead below), so that a leadflare sender needs one request instead of two.

export const subscriptionSchema = z.object({
  leadId: z.coerce.number().int().positive(),
  callbackUrl: z.string().trim().min(1).max(2048),
  // Standard Webhooks: 24–64 random bytes, base64; the lead object's own check, so both agree.
  secret: z.string().max(100).refine(validSecret, "Must be a Standard Webhooks secret: whsec_ + base64 of 24–64 bytes."),
});
/** SYNC_WITH_LEAD's headers: a subscription without its lead (the lead is the POST's own). Built once, not per lead POST. */
const syncWithLeadSchema = subscriptionSchema.omit({ leadId: true });

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

/** What a lead POST's SYNC_WITH_LEAD headers ask for, once checked (syncWithLead). */
export interface SyncWithLead {
  callbackUrl: string;
  secret: string;
  /** The token's campaign publisher; null for an X-Api-Key (capture finds it). */
  campaignPublisherId: number | null;
}

/**
 * The subscription a publisher API lead POST asks for in SYNC_WITH_LEAD's headers (callback URL and
 * secret, as the subscription body would carry them), when this request may have it: the campaign
 * publisher's credentials (its API-key grant token or X-Api-Key), a secret and a callback URL the
 * subscription route would take. Capture then writes it with the lead (CaptureInput.subscription).
 * Null when the request asks for none or it cannot be made here: the lead is captured without it,
 * and the sender subscribes with POST /api/sync/subscriptions, whose answer says what is wrong.
 */
export function syncWithLead(c: Context<AppEnv>, apiKey: string | null): SyncWithLead | null {
  const callbackUrl = c.req.header(SYNC_WITH_LEAD.callback);
  if (callbackUrl === undefined) return null;
  const parsed = syncWithLeadSchema.safeParse({ callbackUrl, secret: c.req.header(SYNC_WITH_LEAD.secret) });
  if (!parsed.success) return null;
  try {
    checkOutboundUrl(c.env, parsed.data.callbackUrl);
  } catch (e) {
    if (e instanceof OutboundUrlError) return null;
    throw e;
  }
  const principal = c.get("principal") as Principal | undefined;
  if (apiKey === null && principal?.kind !== "apiKey") return null;
  return { ...parsed.data, campaignPublisherId: principal?.kind === "apiKey" ? principal.campaignPublisherId : null };
}

/**
 * The answer's headers for what syncWithLead asked: the subscription written with the lead, or
 * for a replay (which writes nothing) the one the first capture wrote, found again through the
 * lead object as the subscription route finds it (the same lead, credentials and callback URL).
 */
export async function syncWithLeadHeaders(
  c: Context<AppEnv>, asked: SyncWithLead | null, result: CaptureResult, apiKey: string | null,
): Promise<Record<string, string>> {
  if (asked === null) return {};
  const headers = (s: { subscriptionId: number; leadHash: string }) => ({
    [SYNC_WITH_LEAD.subscription]: String(s.subscriptionId), [SYNC_WITH_LEAD.leadHash]: s.leadHash,
  });
  if (result.subscribed) return headers(result.subscribed);
  try {
    const campaignPublisherId = asked.campaignPublisherId ?? (await apiKeyOwner(c.env, apiKey!))?.id;
    if (campaignPublisherId === undefined) return {};
    const sub = await subscribeToLead(c.env, { leadId: result.leadId, callbackUrl: asked.callbackUrl, secret: asked.secret, campaignPublisherId });
    return sub.ok ? headers(sub) : {};
  } catch (e) {
    console.error("sync subscription with a replayed lead failed; the sender subscribes on its own", result.leadId, String(e));
    return {};
  }
}
