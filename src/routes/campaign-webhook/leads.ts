import { Hono } from "hono";
import { z } from "zod";
import { timingSafeEqual } from "../../auth/crypto";
import type { AppEnv } from "../../env";
import { ApiError, forbidden, notFound } from "../../errors";
import { readCaptureBody } from "../../leads/capture-body";
import { type CaptureContext, type CapturePolicy, deferred, LEAD_ID_PLACEHOLDER, parseIdempotencyKey } from "../../leads/capture";
import { captureFromRequest } from "../capture-request";
import { accessDenied, campaignIdParam, keptLandingPagePublisher, landingPagePublisher, webhookKey } from "./auth";

// POST /webhook/campaign/{campaign_id}/global-form/{form_id}/leads?apikey=&campaignLinkId=[&publisherId=]
// (Convertr's campaign webhook documentation): the same capture as the publisher API, with the webhook's own bodies. With a
// landing-page key the lead goes to that key's publisher; a publisherId naming another is a 403.
// The key's binding is not read first: capture's kept path takes the one this isolate found before
// (none: the campaign key) and its write batch checks it in the transaction; any other path first
// looks it up afresh (CaptureInput.webhookKey), so every answer but a guarded write comes from D1.
export const webhookLeads = new Hono<AppEnv>();

/** 201: `data` is the new lead's id. */
export const webhookLeadCreatedSchema = z.object({
  code: z.literal(201),
  message: z.literal("Lead was created successfully"),
  data: z.number().int(),
});
const CREATED_BODY = JSON.stringify({ code: 201, message: "Lead was created successfully", data: LEAD_ID_PLACEHOLDER });
const ID = /^[1-9][0-9]{0,14}$/;

webhookLeads.post("/:campaignId{[0-9]+}/global-form/:formId/leads", async (c) => {
  const campaignId = campaignIdParam(c);
  const rawForm = c.req.param("formId");
  const rawLink = c.req.query("campaignLinkId");
  const rawPublisher = c.req.query("publisherId");
  // Ids that cannot exist are looked up as 0, so they fail with the same answer as unknown ids.
  const id = (raw: string | undefined) => (raw !== undefined && ID.test(raw) ? Number(raw) : 0);
  const namedPublisher = rawPublisher === undefined || rawPublisher === "" ? null : id(rawPublisher);
  const key = webhookKey(c);
  // Read when asked: the look-up in confirm() replaces the kept binding by the one D1 holds.
  let boundPublisher = key === null ? null : keptLandingPagePublisher(campaignId, key);

  const idempotencyKey = await deferred(() => parseIdempotencyKey(c.req.header("Idempotency-Key")));
  const body = await deferred(() => readCaptureBody(c));
  // The presented key, when it is the campaign's key or a landing-page key of it.
  const liveKey = (ctx: CaptureContext) =>
    key !== null && ctx.campaign && (boundPublisher !== null || timingSafeEqual(ctx.campaign.apiKey, key)) ? key : null;
  const policy: CapturePolicy = {
    authorize(ctx) {
      if (liveKey(ctx) === null) throw accessDenied();
      if (boundPublisher !== null && namedPublisher !== null && namedPublisher !== boundPublisher) {
        throw forbidden("This key is bound to another publisher of the campaign.");
      }
      if (idempotencyKey instanceof ApiError) throw idempotencyKey;
      if (!rawLink) throw new ApiError("BAD_REQUEST", "campaignLinkId is required.");
    },
    liveKey,
    notFound: (what) =>
      what === "link" ? notFound("Campaign Link not found") : what === "publisher" ? notFound("Publisher not found") : notFound(),
    publisherRequired: () => new ApiError("BAD_REQUEST", "publisherId is required: the campaign has several publishers."),
    // Convertr's webhook gives one answer whatever the reason (Convertr's campaign webhook documentation and Convertr's campaign documentation).
    campaignUnavailable: () => forbidden("Campaign is inactive"),
    contractUnsigned: () => forbidden("Campaign is inactive"),
  };

  return captureFromRequest(
    c,
    {
      campaignId,
      formId: id(rawForm),
      linkId: rawLink ? id(rawLink) : null,
      publisherId: boundPublisher ?? namedPublisher,
      apiKey: null,
      webhookKey: key === null ? null : {
        key,
        boundPublisherId: boundPublisher,
        async confirm() {
          boundPublisher = await landingPagePublisher(c.env, campaignId, key);
          return boundPublisher ?? namedPublisher;
        },
      },
      idempotency: typeof idempotencyKey === "string" ? { scope: `webhook:${campaignId}`, key: idempotencyKey } : null,
      body,
      createdBody: CREATED_BODY,
    },
    policy,
  );
});
