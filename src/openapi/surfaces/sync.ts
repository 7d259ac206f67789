import { ApiError, notFound } from "../../errors";
import { RETRY_DELAYS_MS } from "../../leads/sync-callbacks";
import { credentialsSchema, subscriptionCreatedSchema, subscriptionSchema } from "../../routes/sync-subscriptions";
import { inboundWebhookErrorBody } from "../../routes/webhooks/errors";
import { leadEventSchema, syncAnswerSchema } from "../../routes/webhooks/sync";
import { extensionsSchema } from "../../routes/well-known";
import { TIMESTAMP_TOLERANCE_SECONDS } from "../../webhooks/standard-webhooks";
import { DEMO, type DemoKeys } from "../demo";
import { ref } from "../json-schema";
import { type DemoCredentials, formOrJson, type OperationSpec } from "../operation";
import type { Surface } from "./surface";

// Sync tags: an enterprise that delivered a lead here subscribes to its status changes, and gets
// them as signed callbacks (Standard Webhooks); the receiving end of those callbacks is
// POST /api/webhook/sync.

const TAG = "Sync tags";
const key603: DemoCredentials = { kind: "header", name: "X-Api-Key", value: DEMO.apiKey603 };
const body = (e: ApiError) => inboundWebhookErrorBody(e);

export const DEMO_SYNC_SECRET = "whsec_bGVhZGZsYXJlLWRlbW8tc3luYy1zZWNyZXQtMzJieXQ=";

const signatureHeaders = (example: { id: string; timestamp: number; signature: string }) => [
  { name: "webhook-id", in: "header" as const, required: true, description: "The delivery's id: the same on every retry of it (deduplicate on it).", example: example.id },
  {
    name: "webhook-timestamp",
    in: "header" as const,
    required: true,
    description: `Unix seconds of this attempt; refused when more than ${TIMESTAMP_TOLERANCE_SECONDS / 60} minutes from the receiver's clock.`,
    example: String(example.timestamp),
  },
  {
    name: "webhook-signature",
    in: "header" as const,
    required: true,
    description:
      "`v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of the `whsec_` secret (a space-separated list when keys rotate).",
    example: example.signature,
  },
];

function eventExample(keys: DemoKeys) {
  return {
    type: "lead.status_changed",
    eventId: 1,
    leadId: DEMO.leadId,
    leadHash: keys.leadHash,
    flag: "Invalid",
    previousFlag: "Valid",
    reason: "Not a decision maker",
    occurredTs: "2026-11-30T09:00:00+00:00",
  };
}

const schedule = RETRY_DELAYS_MS.slice(1).map((ms) => (ms < 60_000 ? `${ms / 1000} s` : ms < 3_600_000 ? `${ms / 60_000} min` : `${ms / 3_600_000} h`)).join(", ");

export function syncSurface(keys: DemoKeys): Surface {
  const subscribe: OperationSpec = {
    method: "post",
    path: "/api/sync/subscriptions",
    operationId: "syncSubscribe",
    tags: [TAG],
    summary: "Subscribe to a lead's status changes",
    description:
      "With the credentials that delivered the lead (its campaign publisher key, or that key's API-key grant token), subscribe a callback URL to the lead. " +
      "The callback is called at once when the lead is already flagged, then on every change (see the `leadStatusChanged` webhook). " +
      "Subscribing again with the same URL returns the same subscription with the new secret; a lead takes 5 active subscriptions.",
    security: [{ apiKey: [] }, { bearerAuth: [] }],
    demo: key603,
    body: {
      description: "leadId, callbackUrl and a Standard Webhooks secret of your choosing.",
      content: formOrJson("SyncSubscriptionRequest", {
        leadId: DEMO.leadId,
        callbackUrl: "http://127.0.0.1:8788/api/webhook/sync",
        secret: DEMO_SYNC_SECRET,
      }),
    },
    responses: {
      "201": {
        description: "Subscribed.",
        schema: "SyncSubscriptionCreated",
        examples: { created: { summary: "Subscribed", value: { subscriptionId: 1, leadId: DEMO.leadId, leadHash: keys.leadHash } } },
      },
      "400": {
        description: "A field missing or refused (the callback URL must be a public http(s) URL in production).",
        schema: "WebhookError",
        examples: { secret: { summary: "Bad secret", value: body(new ApiError("BAD_REQUEST", "secret: Must be a Standard Webhooks secret: whsec_ + base64 of 24–64 bytes.")) } },
      },
      "401": { description: "No or bad credentials.", schema: "WebhookAuthError" },
      "403": { description: "A user's token: use the campaign publisher's credentials.", schema: "WebhookError" },
      "404": { description: "Not a lead these credentials delivered.", schema: "WebhookError", examples: { lead: { summary: "Lead not found", value: body(notFound("Lead not found")) } } },
      "409": { description: "The lead has 5 active subscriptions.", schema: "WebhookError" },
    },
  };
  const credentials: OperationSpec = {
    method: "get",
    path: "/api/sync/credentials",
    operationId: "syncCredentials",
    tags: [TAG],
    summary: "Who these credentials are",
    description: "The campaign and publisher of a campaign publisher key (or its API-key grant token).",
    security: [{ apiKey: [] }, { bearerAuth: [] }],
    demo: key603,
    responses: {
      "200": { description: "Campaign and publisher.", schema: "SyncCredentials", examples: { key: { summary: "Key of 603", value: { campaignId: 603, publisherId: DEMO.publisherId } } } },
      "401": { description: "No or bad credentials.", schema: "WebhookAuthError" },
      "403": { description: "A user's token.", schema: "WebhookError" },
    },
  };
  const extensions: OperationSpec = {
    method: "get",
    path: "/.well-known/leadflare",
    operationId: "wellKnown",
    tags: [TAG],
    summary: "What this instance offers beyond Convertr's API",
    description: "A sender (Convertr Connect) reads it to know whether sync subscriptions exist here.",
    security: [],
    responses: {
      "200": {
        description: "The extensions.",
        schema: "Extensions",
        examples: { acme: { summary: "acme", value: { name: "leadflare", enterprise: "acme", extensions: { syncSubscriptions: "/api/sync/subscriptions", syncCallbackBatches: "/api/webhook/sync", syncWithLead: "Leadflare-Sync-Callback" } } } },
      },
    },
  };
  const example = eventExample(keys);
  const receive: OperationSpec = {
    method: "post",
    path: "/api/webhook/sync",
    operationId: "syncReceive",
    tags: [TAG],
    summary: "Receive a sync-tag callback",
    description:
      "The receiving end of `leadStatusChanged`, for leads this instance delivered with a sync tag: the signature is checked with the secret given when subscribing, " +
      "each webhook-id is accepted once, and older events than the last applied change nothing. Client Valid makes the lead Valid here; Invalid, Caution or deleted make it Invalid. " +
      "It also takes a batch, `{\"type\":\"lead.events\",\"events\":[…]}` (up to 50 lead events, each with its own `webhookId`, the id a single callback of it would carry), signed once per subscription secret (the signature header lists them); " +
      "each event is checked, deduplicated and applied as a single callback would be, and answered in `results` with the status that callback would have had (`GET /.well-known/leadflare` names this path as `syncCallbackBatches`). " +
      "The example is not signed with a real secret, so it answers 404 (no sync tag for that lead here).",
    security: [],
    params: signatureHeaders({ id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", timestamp: 1796029200, signature: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=" }),
    body: { description: "The event.", content: { "application/json": { schema: "LeadEvent", example } } },
    responses: {
      "200": {
        description: "Applied, or nothing to change.",
        schema: "SyncAnswer",
        examples: { applied: { summary: "Applied", value: { code: 200, message: "Lead marked Invalid.", changed: true } } },
      },
      "400": { description: "Not a lead event, signature headers missing, or a stale timestamp.", schema: "WebhookError" },
      "401": {
        description: "No subscription secret verifies the signature.",
        schema: "WebhookError",
        examples: { signature: { summary: "Bad signature", value: body(new ApiError("UNAUTHORIZED", "Invalid webhook signature.")) } },
      },
      "404": {
        description: "No sync tag was placed for this lead.",
        schema: "WebhookError",
        examples: { none: { summary: "No sync tag", value: body(new ApiError("NOT_FOUND", "No sync tag was placed for this lead.")) } },
      },
      "409": { description: "This webhook-id was already received.", schema: "WebhookError" },
    },
  };

  const callback = {
    post: {
      operationId: "leadStatusChanged",
      tags: [TAG],
      summary: "A subscribed lead changed status",
      description:
        "Sent to each subscription's callback URL when the lead is flagged (at once on subscribing when it already is) and on every later change or deletion, signed the Standard Webhooks way with the subscription's secret. " +
        `Only a 2xx answer counts as received; redirects are not followed; 410 Gone disables the subscription. Other answers and timeouts are retried after ${schedule} (with jitter; a Retry-After is honoured), ` +
        "the webhook-id staying the same. Per subscription the events arrive in order, `eventId` increasing.",
      parameters: signatureHeaders({ id: "msg_2f1c0a9b8e7d4c3b2a1f0e9d8c7b6a59", timestamp: 1796029200, signature: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=" }).map((p) => ({
        ...p,
        schema: { type: "string" },
      })),
      requestBody: { required: true, content: { "application/json": { schema: ref("LeadEvent"), example } } },
      responses: {
        "200": { description: "Received (any 2xx)." },
        "410": { description: "Gone: the subscription is disabled, its pending deliveries dropped." },
      },
    },
  };

  return {
    tag: {
      name: TAG,
      description:
        "Status changes of delivered leads flow back upstream: the sending enterprise subscribes to each lead it delivered and receives signed callbacks. " +
        "leadflare does both ends; `GET /.well-known/leadflare` tells a sender that this instance takes subscriptions.",
    },
    operations: [subscribe, credentials, extensions, receive],
    requests: { SyncSubscriptionRequest: subscriptionSchema, LeadEvent: leadEventSchema },
    responses: {
      SyncSubscriptionCreated: subscriptionCreatedSchema,
      SyncCredentials: credentialsSchema,
      Extensions: extensionsSchema,
      SyncAnswer: syncAnswerSchema,
    },
    webhooks: { leadStatusChanged: callback },
  };
}
