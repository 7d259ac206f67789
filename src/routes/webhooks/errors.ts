import type { ErrorHandler } from "hono";
import { z } from "zod";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { type ApiError, toApiError } from "../../errors";
import { oauthBody } from "../oauth-errors";

// Inbound webhooks and the sync API answer {"code","message"} (Convertr's webhook error shape,
// Convertr's campaign webhook documentation), except a bad or expired bearer token, which keeps the OAuth body of every surface.
export const webhookErrorSchema = z.object({ code: z.number().int(), message: z.string() });

export const inboundWebhookErrorBody = (err: ApiError) =>
  err.code === "TOKEN_INVALID" || err.code === "TOKEN_EXPIRED" ? oauthBody(err) : { code: err.status, message: err.message };

export const renderWebhookError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  return c.json(inboundWebhookErrorBody(err), err.status as ContentfulStatusCode, err.detail.headers);
};
