import type { ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { toApiError } from "../../errors";
import { oauthBody } from "../oauth-errors";

// Inbound webhooks and the sync API answer {"code","message"} (Convertr's webhook error shape,
// digest §4), except a bad or expired bearer token, which keeps the OAuth body of every surface.
export const renderWebhookError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  const body = err.code === "TOKEN_INVALID" || err.code === "TOKEN_EXPIRED" ? oauthBody(err) : { code: err.status, message: err.message };
  return c.json(body, err.status as ContentfulStatusCode, err.detail.headers);
};
