import { ApiError, forbidden, notFound } from "../../errors";
import { FormValidationError, MESSAGES } from "../../leads/capture-validate";
import { accessDenied } from "../../routes/campaign-webhook/auth";
import { campaignWebhookErrorSchema, webhookErrorBody } from "../../routes/campaign-webhook/errors";
import { webhookFieldsSchema, webhookFieldsV2Schema } from "../../routes/campaign-webhook/fields";
import { webhookLeadCreatedSchema } from "../../routes/campaign-webhook/leads";
import { DEMO, type DemoKeys } from "../demo";
import type { DemoCredentials, OperationSpec, Param, ResponseSpec, Security } from "../operation";
import { captureContent, idempotencyKeyParam } from "./capture";
import type { Surface } from "./surface";

// The campaign webhook: capture keyed by the campaign's key (server side) or a landing-page key
// (bound to one publisher), callable from browsers.

const TAG = "Campaign webhook";
const SECURITY: Security = [{ campaignKey: [] }, { campaignKeyHeader: [] }];

const campaignParam: Param = { name: "campaignId", in: "path", description: "The campaign.", example: DEMO.campaignId };
const denied: ResponseSpec = {
  description: "No key, or not a key of this campaign.",
  schema: "CampaignWebhookError",
  examples: { denied: { summary: "Access denied", value: webhookErrorBody(accessDenied()) } },
};

export function campaignWebhookSurface(keys: DemoKeys): Surface {
  const demo: DemoCredentials = { kind: "query", name: "apikey", value: keys.campaignKey };
  const read = (operationId: string, path: string, summary: string, schema: string, description: string): OperationSpec => ({
    method: "get",
    path,
    operationId,
    tags: [TAG],
    summary,
    description,
    security: SECURITY,
    demo,
    params: [campaignParam],
    responses: { "200": { description: "The campaign's forms.", schema }, "401": denied },
  });
  const postLead: OperationSpec = {
    method: "post",
    path: "/webhook/campaign/{campaignId}/global-form/{formId}/leads",
    operationId: "campaignWebhookPostLead",
    tags: [TAG],
    summary: "Post a lead",
    description:
      "The same capture as the publisher API, with the webhook's bodies. With the campaign's key, `publisherId` names the publisher (required when the campaign has several); " +
      "with a landing-page key the lead goes to that key's publisher. CORS allows the origins in `CORS_ORIGINS`.",
    security: SECURITY,
    demo,
    params: [
      campaignParam,
      { name: "formId", in: "path", description: "The form.", example: DEMO.formId },
      { name: "campaignLinkId", in: "query", required: true, description: "The link the lead came through.", example: DEMO.linkId },
      { name: "publisherId", in: "query", description: "The publisher, with the campaign's key.", example: DEMO.publisherId },
      idempotencyKeyParam,
    ],
    body: { description: "The form's fields.", content: captureContent },
    responses: {
      "201": {
        description: "Created: `data` is the lead id.",
        schema: "CampaignWebhookLeadCreated",
        examples: { created: { summary: "Created", value: { code: 201, message: "Lead was created successfully", data: 367086 } } },
      },
      "400": {
        description: "Validation failed (one entry per field error), a missing campaignLinkId or publisherId, or an unreadable body.",
        schema: "CampaignWebhookError",
        examples: {
          validation: {
            summary: "Validation failed",
            value: webhookErrorBody(new FormValidationError([], [["firstName", [MESSAGES.blank]], ["email", []], ["lastName", []]])),
          },
          link: { summary: "No campaignLinkId", value: webhookErrorBody(new ApiError("BAD_REQUEST", "campaignLinkId is required.")) },
        },
      },
      "401": denied,
      "403": {
        description: "The campaign takes no leads now (one answer whatever the reason), or a landing-page key naming another publisher.",
        schema: "CampaignWebhookError",
        examples: { inactive: { summary: "Inactive", value: webhookErrorBody(forbidden("Campaign is inactive")) } },
      },
      "404": {
        description: "A wrong form, link or publisher.",
        schema: "CampaignWebhookError",
        examples: {
          notFound: { summary: "Not Found", value: webhookErrorBody(notFound()) },
          link: { summary: "Campaign Link not found", value: webhookErrorBody(notFound("Campaign Link not found")) },
          publisher: { summary: "Publisher not found", value: webhookErrorBody(notFound("Publisher not found")) },
        },
      },
    },
  };
  return {
    tag: {
      name: TAG,
      description:
        "Lead capture keyed by a campaign key, as the `apikey` query parameter (Convertr's form) or `X-Api-Key`: the campaign's own key, kept server side, " +
        "or a landing-page key, bound to one publisher so that a key read from a page cannot credit another. " +
        `The demo's landing-page key of publisher ${DEMO.publisherId} on campaign ${DEMO.campaignId} is \`${keys.landingPageKey}\`.`,
    },
    operations: [
      read("campaignWebhookFieldsV2", "/webhook/campaign/v2/{campaignId}/global-form/fields", "Form fields (v2)", "CampaignWebhookFieldsV2",
        "Each form with its fields: posted name (`key`), hidden, required."),
      read("campaignWebhookFields", "/webhook/campaign/{campaignId}/global-form/fields", "Form fields", "CampaignWebhookFields",
        "Each form with its fields' posted names."),
      read("campaignWebhookFormFields", "/webhook/campaign/{campaignId}/form/fields", "Form fields (older path)", "CampaignWebhookFields",
        "The same answer as `global-form/fields`."),
      { ...read("campaignWebhookLinks", "/webhook/campaign/{campaignId}/links", "Campaign links", "Links", "The campaign's links."),
        responses: { "200": { description: "The links.", schema: "Links" }, "401": denied } },
      postLead,
    ],
    requests: {},
    responses: {
      CampaignWebhookFieldsV2: webhookFieldsV2Schema,
      CampaignWebhookFields: webhookFieldsSchema,
      CampaignWebhookLeadCreated: webhookLeadCreatedSchema,
      CampaignWebhookError: campaignWebhookErrorSchema,
    },
  };
}
