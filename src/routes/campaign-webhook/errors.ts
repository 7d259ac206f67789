import type { ErrorHandler } from "hono";
import { z } from "zod";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { type ApiError, toApiError } from "../../errors";
import { postedName } from "../../leads/capture-catalog";
import { FormValidationError } from "../../leads/capture-validate";

// The campaign webhook's error bodies, as Convertr documents them (Convertr's campaign webhook documentation), quirks included:
// 403 carries a string code and an "error" key, 500 an empty message.

/** The three shapes above: {code, message[, data]}, and 403's {code: "403", error}. */
export const campaignWebhookErrorSchema = z.union([
  z.object({
    code: z.number().int(),
    message: z.string(),
    data: z.array(z.object({ fieldName: z.string().optional(), message: z.string() })).optional(),
  }),
  z.object({ code: z.literal("403"), error: z.string() }),
]);

export function webhookErrorBody(err: ApiError): Record<string, unknown> {
  if (err instanceof FormValidationError) {
    return {
      code: 400,
      message: "Validation failed",
      data: [
        ...err.formErrors.map((message) => ({ message })),
        ...err.children.flatMap(([field, errors]) => errors.map((message) => ({ fieldName: postedName(field), message }))),
      ],
    };
  }
  switch (err.code) {
    case "UNAUTHORIZED":
    case "TOKEN_INVALID":
    case "TOKEN_EXPIRED":
      return { code: 401, message: "Access denied." };
    case "FORBIDDEN":
      return { code: "403", error: err.message };
    case "INTERNAL":
      return { code: 500, message: "" };
    default:
      return { code: err.status, message: err.message };
  }
}

export const renderWebhookError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  const status = err.code === "TOKEN_INVALID" || err.code === "TOKEN_EXPIRED" ? 401 : err.status;
  return c.json(webhookErrorBody(err), status as ContentfulStatusCode, err.detail.headers);
};
