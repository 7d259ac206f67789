import { z } from "zod";
import { ApiError } from "../../errors";
import { oauthErrorSchema } from "../../routes/oauth-errors";
import { webhookErrorSchema, inboundWebhookErrorBody } from "../../routes/webhooks/errors";
import { leadAppendSchema } from "../../routes/webhooks/lead-append";
import { validationFieldsSchema } from "../../routes/webhooks/validation";
import { DEMO, type DemoKeys } from "../demo";
import { type DemoCredentials, formOrJson, type OperationSpec, type ResponseSpec, type Security } from "../operation";
import type { Surface } from "./surface";

// The inbound webhooks a client calls about leads delivered to it: validation and lead-append.

const TAG = "Delivery webhooks";
const SECURITY: Security = [{ webhookKey: [] }, { webhookKeyQuery: [] }, { bearerAuth: [] }];
const admin: DemoCredentials = { kind: "bearer", username: DEMO.admin.username, password: DEMO.admin.password };
const body = (status: "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT", message: string) =>
  inboundWebhookErrorBody(new ApiError(status, message));

const common: Record<string, ResponseSpec> = {
  "401": {
    description: "No credentials, a wrong webhook key or an invalid token (whose body is the OAuth one).",
    schema: "WebhookAuthError",
    examples: { missing: { summary: "No credentials", value: body("UNAUTHORIZED", "Authentication required: an admin bearer token or the enterprise webhook key.") } },
  },
  "403": {
    description: "A token that is not an admin's.",
    schema: "WebhookError",
    examples: { notAdmin: { summary: "Not an admin", value: body("FORBIDDEN", "Only admin users or the webhook key may call this webhook.") } },
  },
  "404": { description: "No live lead has this hash.", schema: "WebhookError", examples: { lead: { summary: "Lead not found", value: body("NOT_FOUND", "Lead not found") } } },
};

export function webhooksSurface(keys: DemoKeys): Surface {
  const hashParam = { name: "leadHash", in: "path" as const, description: "The lead's hash (`leadHash` of the lead's data).", example: keys.leadHash };
  const flag = (action: "invalidate" | "validate"): OperationSpec => ({
    method: "post",
    path: `/api/webhook/${action}/{leadHash}`,
    operationId: action === "validate" ? "webhookValidate" : "webhookInvalidate",
    tags: [TAG],
    summary: action === "validate" ? "Mark a delivered lead Valid" : "Mark a delivered lead Invalid",
    description:
      `The client ${action}s a lead it received, with a reason and the name of the person: the lead turns ${action === "validate" ? "Valid" : "Invalid"}, ` +
      "a note records who and why, the statistics follow and sync-tag subscribers are told. `reason` and `user` may also come as query parameters.",
    security: SECURITY,
    demo: admin,
    params: [hashParam],
    body: {
      description: "reason and user.",
      content: formOrJson("ValidationWebhookRequest", { reason: action === "validate" ? "Confirmed by phone" : "Not a decision maker", user: "jane.doe" }),
    },
    responses: {
      "201": { description: "Done; no body." },
      "400": {
        description: "reason or user missing.",
        schema: "WebhookError",
        examples: { missing: { summary: "Missing fields", value: body("BAD_REQUEST", "Missing or invalid field(s): reason, user") } },
      },
      ...common,
      "409": { description: "The lead cannot take this flag now (it is deleted or being processed).", schema: "WebhookError" },
    },
  });
  const leadAppend: OperationSpec = {
    method: "post",
    path: "/ajax/lead-append/{leadHash}",
    operationId: "leadAppend",
    tags: [TAG],
    summary: "Append data to a lead",
    description:
      "Adds or overwrites the lead's values (not those the platform sets). Each changed value gets a lead note; the lead's own copies of the core values (email, names, telephone, postcode, address) follow.",
    security: SECURITY,
    demo: admin,
    params: [hashParam],
    body: {
      description: "The fields to set.",
      content: formOrJson("LeadAppendRequest", { jobTitle: "Head of IT", companySize: "250" }),
    },
    responses: {
      "200": { description: "Done (also when nothing changed); no body." },
      "400": {
        description: "No field, too many, a bad name, a value too long, or a field the platform sets.",
        schema: "WebhookError",
        examples: { system: { summary: "A platform field", value: body("BAD_REQUEST", 'Field "leadHash" is set by the platform and cannot be changed.') } },
      },
      ...common,
    },
  };
  return {
    tag: {
      name: TAG,
      description:
        "Called by a client about the leads it received: the enterprise webhook key (`X-Webhook-Key`, or `key` in the query; `WEBHOOK_KEY` of the deployment) or an admin's bearer token. " +
        "Errors are `{\"code\",\"message\"}`.",
    },
    operations: [flag("invalidate"), flag("validate"), leadAppend],
    requests: { ValidationWebhookRequest: validationFieldsSchema, LeadAppendRequest: leadAppendSchema },
    responses: { WebhookError: webhookErrorSchema, WebhookAuthError: z.union([webhookErrorSchema, oauthErrorSchema]) },
  };
}
