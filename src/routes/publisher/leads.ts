import { type Context, Hono } from "hono";
import { z } from "zod";
import { authenticate, readBearerToken } from "../../auth/authenticate";
import { timingSafeEqual } from "../../auth/crypto";
import { keptGrantOwner, principalOf, verifyApiKeyGrantToken } from "../../auth/publisher-tokens";
import type { CampaignStatusReason } from "../../db/campaign-status";
import type { AppEnv, Principal } from "../../env";
import { ApiError, forbidden, notFound, tokenInvalid } from "../../errors";
import { readCaptureBody } from "../../leads/capture-body";
import { type CaptureContext, type CaptureInput, type CapturePolicy, deferred, LEAD_ID_PLACEHOLDER, parseIdempotencyKey } from "../../leads/capture";
import { captureFromRequest } from "../capture-request";
import { syncWithLead, syncWithLeadHeaders } from "../sync-subscriptions";
import { assertActsFor, idParam } from "./access";

// POST /api/v2.4/publisher/{publisher_id}/forms/{form_id}/campaign/{campaign_id}/leads?linkId= (Convertr's publisher API documentation).
export const leads = new Hono<AppEnv>();

/** Why a campaign takes no leads, as the publisher API says it (Convertr's publisher API documentation for the first two). */
export const CAMPAIGN_UNAVAILABLE: Record<Exclude<CampaignStatusReason, null>, string> = {
  not_started: "Campaign has not started yet",
  fulfilled: "Campaign is fulfilled",
  ended: "Campaign has ended",
  paused: "Campaign is paused",
  setup_required: "Campaign setup is not complete",
};

/** 201: `data` is the new lead's id (the same answer, with Idempotent-Replayed, for a replay). */
export const publisherLeadCreatedSchema = z.object({
  data: z.number().int(),
  message: z.literal("Lead was created successfully"),
  status: z.literal(201),
});
const CREATED_BODY = JSON.stringify({ data: LEAD_ID_PLACEHOLDER, message: "Lead was created successfully", status: 201 });

// An X-Api-Key is checked inside capture's single read batch (saves a round trip); a token here
// (a user's, or the API-key grant's, which is bound to its campaign below). An API-key grant token
// whose key this isolate found live before (how Convertr Connect delivers) is let through on its
// signature, its key to be checked by capture's write batch (CaptureInput.grantKey); a refusal of
// any kind waits for the token's own check, so a token that no longer holds gets its 401 first.
const bearer = authenticate({ apiKey: true });

/** The bearer token and its campaign publisher's kept key, when the token is an API-key grant token keptGrantOwner knows. */
async function keptGrantToken(c: Context<AppEnv>) {
  let token: string | null;
  try {
    token = readBearerToken(c);
  } catch {
    return null; // a malformed header: authenticate() answers it
  }
  const owner = token === null ? null : await keptGrantOwner(c.env, token);
  return owner && { token: token!, owner };
}

leads.post("/:publisherId/forms/:formId/campaign/:campaignId/leads", async (c) => {
  const apiKey = c.req.header("X-Api-Key") ?? null;
  const kept = apiKey === null ? await keptGrantToken(c) : null;
  if (kept === null) {
    if (apiKey === null) await bearer(c, async () => {});
    return capture(c, apiKey, null);
  }
  // The token's check, once, for whatever answers before (or instead of) the guarded write.
  let confirmed: Promise<void> | null = null;
  const confirm = () =>
    (confirmed ??= verifyApiKeyGrantToken(c.env, kept.token).then((p) => void c.set("principal", p)));
  c.set("principal", principalOf(kept.owner));
  try {
    return await capture(c, apiKey, { campaignPublisherId: kept.owner.id, apiKey: kept.owner.apiKey, confirm });
  } catch (e) {
    await confirm();
    throw e;
  }
});

async function capture(c: Context<AppEnv>, apiKey: string | null, grantKey: CaptureInput["grantKey"]): Promise<Response> {
  const publisherId = idParam(c.req.param("publisherId"));
  const formId = idParam(c.req.param("formId"));
  const campaignId = idParam(c.req.param("campaignId"));
  const rawLink = c.req.query("linkId");
  const linkId = rawLink === undefined || rawLink === "" ? null : idParam(rawLink, () => notFound("Campaign Link not found"));
  // Read when asked: grantKey's confirm() replaces a kept principal by the one D1 confirms.
  const principal = (): Principal | null => (apiKey === null ? c.var.principal : null);

  const idempotencyKey = await deferred(() => parseIdempotencyKey(c.req.header("Idempotency-Key")));
  const body = await deferred(() => readCaptureBody(c));
  // leadflare's sync extension: the lead's subscription written with it (syncWithLead in /.well-known/leadflare).
  const sync = syncWithLead(c, apiKey);
  // Whether the key D1 found for the request is the one presented: authorize and liveKey both ask
  // about the same owner row, which is compared once.
  let compared: { owner: NonNullable<CaptureContext["apiKeyOwner"]>; same: boolean } | null = null;
  const presented = (owner: NonNullable<CaptureContext["apiKeyOwner"]>) => {
    if (compared?.owner !== owner) compared = { owner, same: timingSafeEqual(owner.apiKey, apiKey!) };
    return compared.same;
  };
  const policy: CapturePolicy = {
    authorize(ctx) {
      const p = principal();
      if (p) {
        assertActsFor(p, publisherId, campaignId);
      } else {
        const owner = ctx.apiKeyOwner;
        if (!owner || !presented(owner)) throw tokenInvalid();
        if (owner.publisherId !== publisherId || owner.campaignId !== campaignId) throw forbidden();
      }
      if (idempotencyKey instanceof ApiError) throw idempotencyKey;
    },
    liveKey: (ctx) => (apiKey !== null && ctx.apiKeyOwner && presented(ctx.apiKeyOwner) ? apiKey : null),
    notFound: (what) => (what === "link" ? notFound("Campaign Link not found") : notFound()),
    publisherRequired: () => notFound(),
    campaignUnavailable: (reason) => forbidden(CAMPAIGN_UNAVAILABLE[reason]),
    contractUnsigned: () => forbidden("Campaign publisher contract is not signed"),
  };

  return captureFromRequest(
    c,
    {
      campaignId, formId, linkId, publisherId,
      apiKey,
      idempotency: typeof idempotencyKey === "string" ? { scope: String(publisherId), key: idempotencyKey } : null,
      body,
      createdBody: CREATED_BODY,
      subscription: sync,
      grantKey,
    },
    policy,
    (result) => syncWithLeadHeaders(c, sync, result, apiKey),
  );
}
