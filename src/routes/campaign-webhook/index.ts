import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderWebhookError } from "./errors";
import { catalog } from "./fields";
import { webhookLeads } from "./leads";

// The campaign webhook (Convertr's campaign webhook documentation), mounted at /webhook/campaign: lead capture keyed by the
// campaign's API key, callable from browsers. Its CORS (origins from CORS_ORIGINS) is applied in
// src/app.ts by src/http/cors.ts, outside the rate limiter so that browsers can read its 429s.
export const campaignWebhook = new Hono<AppEnv>();

campaignWebhook.onError(renderWebhookError);
campaignWebhook.route("/", catalog);
campaignWebhook.route("/", webhookLeads);
