import { ApiError, forbidden, notFound, TOKEN_MESSAGES, tokenExpired, tokenInvalid } from "../../errors";
import { FormValidationError, MESSAGES } from "../../leads/capture-validate";
import { publisherErrorBody, publisherErrorSchema, symfonyNodeSchema } from "../../routes/publisher/errors";
import { publisherFieldsSchema } from "../../routes/publisher/fields";
import { leadResultSchema } from "../../routes/publisher/lead-result";
import { CAMPAIGN_UNAVAILABLE, publisherLeadCreatedSchema } from "../../routes/publisher/leads";
import { linksSchema } from "../../routes/publisher/links";
import { DEMO } from "../demo";
import type { DemoCredentials, Example, OperationSpec, Param, ResponseSpec, Security } from "../operation";
import { captureContent, captureRequests, idempotencyKeyParam } from "./capture";
import type { Surface } from "./surface";
import { SYNC_WITH_LEAD } from "../../integrations/convertr-client";

// The publisher API v2.x, with every error body of Convertr's published error table rendered by
// the publisher API's own error renderer.

const TAG = "Publisher API";
const body = (e: ApiError): Example["value"] => publisherErrorBody(e);
const SECURITY: Security = [{ bearerAuth: [] }, { apiKey: [] }];
const key601: DemoCredentials = { kind: "header", name: "X-Api-Key", value: DEMO.apiKey601 };

const campaignParam: Param = { name: "campaign_id", in: "path", description: "The campaign.", example: DEMO.campaignId };

/** Convertr's error table, exactly (the 400 is its "extra fields" example on form 35). */
export const ERROR_TABLE = {
  validation: body(new FormValidationError([MESSAGES.extraFields], [["firstName", []], ["email", []], ["lastName", []]])),
  tokenInvalid: body(tokenInvalid()),
  tokenExpired: body(tokenExpired()),
  notStarted: body(forbidden(CAMPAIGN_UNAVAILABLE.not_started)),
  fulfilled: body(forbidden(CAMPAIGN_UNAVAILABLE.fulfilled)),
  notFound: body(notFound()),
  linkNotFound: body(notFound("Campaign Link not found")),
};

const unauthorized: ResponseSpec = {
  description: "No credentials, or an invalid or expired token or key.",
  schema: "OAuthError",
  examples: {
    invalid: { summary: TOKEN_MESSAGES.TOKEN_INVALID, value: ERROR_TABLE.tokenInvalid },
    expired: { summary: TOKEN_MESSAGES.TOKEN_EXPIRED, value: ERROR_TABLE.tokenExpired },
    missing: { summary: "No credentials", value: body(new ApiError("UNAUTHORIZED", "Authentication required.")) },
  },
};
const notFoundResponse = (what: string): ResponseSpec => ({
  description: what,
  schema: "PublisherError",
  examples: { notFound: { summary: "Not Found", value: ERROR_TABLE.notFound } },
});

const fields: OperationSpec = {
  method: "get",
  path: "/api/v2.4/publisher/fields/{campaign_id}",
  operationId: "publisherFields",
  tags: [TAG],
  summary: "Form fields",
  description: "The campaign's forms with the field names to post leads under (`form[…]`). Any v2.x version segment reaches the same endpoint.",
  security: SECURITY,
  demo: key601,
  params: [campaignParam],
  responses: {
    "200": {
      description: "The forms.",
      schema: "PublisherFields",
      examples: {
        forms: {
          summary: "Form 35",
          value: [{ fields: ["form[firstName]", "form[email]", "form[lastName]", "form[submit]"], formId: DEMO.formId, formName: "Acme Campaign - Simple Form" }],
        },
      },
    },
    "401": unauthorized,
    "404": notFoundResponse("A campaign that does not exist or that the caller does not work on."),
  },
};

const links: OperationSpec = {
  method: "get",
  path: "/api/v2.4/publisher/links/{campaign_id}",
  operationId: "publisherLinks",
  tags: [TAG],
  summary: "Campaign links",
  description: "The campaign's links: give one as `linkId` when posting a lead to record its channel (optional).",
  security: SECURITY,
  demo: key601,
  params: [campaignParam],
  responses: {
    "200": {
      description: "The links.",
      schema: "Links",
      examples: { links: { summary: "Link 25", value: [{ channel: "Email", destination: "https://forms.acme.test/acme-campaign-email", id: DEMO.linkId, name: "acme-campaign-email" }] } },
    },
    "401": unauthorized,
    "404": notFoundResponse("A campaign that does not exist or that the caller does not work on."),
  },
};

const postLead: OperationSpec = {
  method: "post",
  path: "/api/v2.4/publisher/{publisher_id}/forms/{form_id}/campaign/{campaign_id}/leads",
  operationId: "publisherPostLead",
  tags: [TAG],
  summary: "Post a lead",
  description:
    "Captures a lead on the form: url-encoded (Convertr's documented form, `Content-Type: x-www-form-urlencoded` is accepted too), multipart or JSON. " +
    "The lead is stored before the answer and then processed (Processr jobs, QA flag, integrations); follow it with the lead result. " +
    "Credentials: a bearer token (a publisher user's or the API-key grant's) or the campaign publisher key as `X-Api-Key`.",
  security: SECURITY,
  demo: key601,
  params: [
    { name: "publisher_id", in: "path", description: "Your publisher id.", example: DEMO.publisherId },
    { name: "form_id", in: "path", description: "The form (from the fields endpoint).", example: DEMO.formId },
    campaignParam,
    { name: "linkId", in: "query", description: "Optional: the link the lead came through (from the links endpoint).", example: DEMO.linkId },
    idempotencyKeyParam,
    {
      name: SYNC_WITH_LEAD.callback,
      in: "header",
      description:
        `Optional, leadflare's sync extension (\`syncWithLead\` in \`/.well-known/leadflare\`): with \`${SYNC_WITH_LEAD.secret}\`, the new lead's sync subscription, as \`POST /api/sync/subscriptions\` would make it ` +
        `for these campaign-publisher credentials. When it cannot be made the lead is still created, without the \`${SYNC_WITH_LEAD.subscription}\` answer header; subscribe with that call then.`,
    },
    { name: SYNC_WITH_LEAD.secret, in: "header", description: `The subscription's Standard Webhooks secret (\`whsec_…\`), with \`${SYNC_WITH_LEAD.callback}\`.` },
  ],
  body: { description: "The form's fields.", content: captureContent },
  responses: {
    "201": {
      description: "Created: `data` is the lead id.",
      schema: "PublisherLeadCreated",
      headers: {
        "Idempotent-Replayed": { description: "`true` on a replay of an Idempotency-Key.", schema: { type: "string" } },
        [SYNC_WITH_LEAD.subscription]: { description: `The sync subscription's id, when \`${SYNC_WITH_LEAD.callback}\` asked for one and it was made.`, schema: { type: "string" } },
        [SYNC_WITH_LEAD.leadHash]: { description: `The lead's hash, with \`${SYNC_WITH_LEAD.subscription}\`.`, schema: { type: "string" } },
      },
      examples: { created: { summary: "Created", value: { data: 367086, message: "Lead was created successfully", status: 201 } } },
    },
    "400": {
      description: "Invalid post data: form validation (Symfony's form errors per field), or a body that cannot be read.",
      schema: "PublisherError",
      examples: {
        extraFields: { summary: "Extra fields (Convertr's example)", value: ERROR_TABLE.validation },
        missing: {
          summary: "A required field missing, an invalid email",
          value: body(
            new FormValidationError([], [["firstName", [MESSAGES.blank]], ["email", [MESSAGES.email]], ["lastName", []]]),
          ),
        },
        idempotency: { summary: "Malformed Idempotency-Key", value: body(new ApiError("BAD_REQUEST", "Idempotency-Key must be 1 to 255 visible ASCII characters.")) },
      },
    },
    "401": unauthorized,
    "403": {
      description: "The campaign takes no leads now, or the caller may not post as this publisher.",
      schema: "PublisherError",
      examples: {
        notStarted: { summary: "Not started", value: ERROR_TABLE.notStarted },
        fulfilled: { summary: "Fulfilled", value: ERROR_TABLE.fulfilled },
        ended: { summary: "Ended", value: body(forbidden(CAMPAIGN_UNAVAILABLE.ended)) },
        paused: { summary: "Paused", value: body(forbidden(CAMPAIGN_UNAVAILABLE.paused)) },
        setup: { summary: "Setup not complete", value: body(forbidden(CAMPAIGN_UNAVAILABLE.setup_required)) },
        contract: { summary: "Contract not signed", value: body(forbidden("Campaign publisher contract is not signed")) },
        denied: { summary: "Another publisher", value: body(forbidden()) },
      },
    },
    "404": {
      description: "A wrong publisher, form or campaign id, or a wrong link id.",
      schema: "PublisherError",
      examples: {
        notFound: { summary: "Not Found", value: ERROR_TABLE.notFound },
        link: { summary: "Campaign Link not found", value: ERROR_TABLE.linkNotFound },
      },
    },
    "413": {
      description: "The body is larger than 32 KiB.",
      schema: "PublisherError",
      examples: { tooLarge: { summary: "Too large", value: body(new ApiError("PAYLOAD_TOO_LARGE", "Request body exceeds 32768 bytes.")) } },
    },
    "415": {
      description: "Another Content-Type.",
      schema: "PublisherError",
      examples: {
        type: {
          summary: "Unsupported type",
          value: body(new ApiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/x-www-form-urlencoded, multipart/form-data or application/json.")),
        },
      },
    },
  },
};

const leadResult: OperationSpec = {
  method: "get",
  path: "/api/v2.1/publisher/{publisher_id}/lead-result/{lead_id}",
  operationId: "publisherLeadResult",
  tags: [TAG],
  summary: "Lead result",
  description:
    "Where the lead is in processing (`processrStatus`, `complete`), its QA flag (`qaStatus`, `score`, `hardfail`) once flagged, and each job's result. " +
    "Convertr documents the request only; this body is leadflare's. Delivery jobs are labelled generically for publishers.",
  security: SECURITY,
  demo: { kind: "header", name: "X-Api-Key", value: DEMO.apiKey603 },
  params: [
    { name: "publisher_id", in: "path", description: "Your publisher id.", example: DEMO.publisherId },
    { name: "lead_id", in: "path", description: "The lead id (`data` of the 201).", example: DEMO.leadId },
  ],
  responses: {
    "200": { description: "The lead's result.", schema: "LeadResult" },
    "401": unauthorized,
    "403": { description: "Acting for another publisher.", schema: "PublisherError", examples: { denied: { summary: "Access denied", value: body(forbidden()) } } },
    "404": notFoundResponse("Not this publisher's lead (or, with an API key, not this campaign's)."),
  },
};

export const publisherSurface: Surface = {
  tag: {
    name: TAG,
    description:
      "Convertr's publisher API (v2.1 and v2.4 paths; any `v2.x` works). Authenticate with a bearer token from `POST /api/login` or the token endpoint, or send the campaign publisher key as `X-Api-Key`. " +
      "Errors are `{\"code\",\"message\"}` (plus `errors` for form validation), except token failures, which keep the OAuth bodies of Convertr's error table.",
  },
  operations: [fields, links, postLead, leadResult],
  requests: captureRequests,
  responses: {
    PublisherFields: publisherFieldsSchema,
    Links: linksSchema,
    PublisherLeadCreated: publisherLeadCreatedSchema,
    LeadResult: leadResultSchema,
    PublisherError: publisherErrorSchema,
    FormErrorNode: symfonyNodeSchema,
  },
};
