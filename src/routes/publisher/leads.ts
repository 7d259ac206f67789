import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { authenticate } from "../../auth/authenticate";
import { timingSafeEqual } from "../../auth/crypto";
import type { CampaignStatusReason } from "../../db/campaign-status";
import type { AppEnv } from "../../env";
import { ApiError, forbidden, notFound, tokenInvalid } from "../../errors";
import { readCaptureBody } from "../../leads/capture-body";
import { type CaptureContext, type CapturePolicy, deferred, LEAD_ID_PLACEHOLDER, parseIdempotencyKey } from "../../leads/capture";
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
// (a user's, or the API-key grant's, which is bound to its campaign below).
const bearer = authenticate({ apiKey: true });
const tokenUnlessApiKey: MiddlewareHandler<AppEnv> = (c, next) =>
  c.req.header("X-Api-Key") !== undefined ? next() : bearer(c, next);

leads.post("/:publisherId/forms/:formId/campaign/:campaignId/leads", tokenUnlessApiKey, async (c) => {
  const publisherId = idParam(c.req.param("publisherId"));
  const formId = idParam(c.req.param("formId"));
  const campaignId = idParam(c.req.param("campaignId"));
  const rawLink = c.req.query("linkId");
  const linkId = rawLink === undefined || rawLink === "" ? null : idParam(rawLink, () => notFound("Campaign Link not found"));
  const apiKey = c.req.header("X-Api-Key") ?? null;
  const principal = apiKey === null ? c.var.principal : null;

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
      if (principal) {
        assertActsFor(principal, publisherId, campaignId);
      } else {
        const owner = ctx.apiKeyOwner;
        if (!owner || !presented(owner)) throw tokenInvalid();
        if (owner.publisherId !== publisherId || owner.campaignId !== campaignId) throw forbidden();
      }
      if (idempotencyKey instanceof ApiError) throw idempotencyKey;
    },
    liveKey: (ctx) => (apiKey !== null && principal === null && ctx.apiKeyOwner && presented(ctx.apiKeyOwner) ? apiKey : null),
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
    },
    policy,
    (result) => syncWithLeadHeaders(c, sync, result, apiKey),
  );
});
