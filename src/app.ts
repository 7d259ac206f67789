import { Hono } from "hono";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { campaignWebhookCors } from "./http/cors";
import { refuseMisconfigured } from "./http/deployment-check";
import { plainJsonBodies } from "./http/plain-json";
import { secureHeaders } from "./http/secure-headers";
import { rateLimit } from "./ratelimit/middleware";
import { apiReference } from "./routes/api-reference";
import { campaignWebhook } from "./routes/campaign-webhook";
import { devOutbox } from "./routes/dev-outbox";
import { duplicateCampaign } from "./routes/duplicate-campaign";
import { login } from "./routes/login";
import { renderOAuthError } from "./routes/oauth-errors";
import { oauthRevoke } from "./routes/oauth-revoke";
import { oauthToken } from "./routes/oauth-token";
import { passwordReset } from "./routes/password-reset";
import { syncSubscriptions } from "./routes/sync-subscriptions";
import { ajax, webhooks } from "./routes/webhooks";
import { wellKnown } from "./routes/well-known";
import { PUBLISHER_API_BASE, publisher } from "./routes/publisher";
import { v4 } from "./routes/v4";

// The Worker's HTTP surface: one sub-app per API surface, each with its own error shape.
export const app = new Hono<AppEnv>();

// Outermost: security headers on every response, errors and 429s included (src/http).
app.use("*", secureHeaders);
// c.json bodies are plain data only: never the context, env or a binding (src/http/plain-json.ts).
app.use("*", plainJsonBodies);
// A deployment without its public origin or real secrets answers 503 to everything (src/http).
app.use("*", refuseMisconfigured);
// CORS for the campaign webhook only, outside the limiter so that browsers can read its 429s.
app.use("/webhook/campaign/*", campaignWebhookCors);
// Before every route: each request is counted against its rate limits (src/ratelimit).
app.use("*", rateLimit);

app.use("/__dev/*", async (c, next) => {
  // The outbox exists only in local mode with the outbox SMS provider: it lists MFA and reset codes.
  if (c.env.SMS_PROVIDER !== "outbox" || c.env.ENVIRONMENT !== "local") return c.notFound();
  return next();
});
app.route("/__dev/outbox", devOutbox);
app.route("/api/login", login);
app.route("/oauth/v2/token", oauthToken);
app.route("/oauth/v2/revoke", oauthRevoke);
app.route("/api/password-reset", passwordReset);
app.route("/api/v4", v4);
app.route(PUBLISHER_API_BASE, publisher);
app.route("/webhook/campaign", campaignWebhook);
app.route("/api/webhook", webhooks);
app.route("/ajax", ajax);
app.route("/api/sync", syncSubscriptions);
app.route("/duplicate-campaign", duplicateCampaign);
app.route("/", wellKnown);
app.route("/", apiReference);

app.notFound((c) => c.json({ code: 404, message: "Not Found" }, 404));
app.onError((e, c) =>
  e instanceof ApiError ? renderOAuthError(e, c) : c.json({ code: 500, message: "Internal Server Error" }, 500),
);
