import { cors } from "hono/cors";
import { RATE_LIMIT_HEADER_NAMES } from "../ratelimit/headers";

/** The allowed origin for `origin` under CORS_ORIGINS (comma-separated, "*" = any), or null. */
export function allowedOrigin(config: string | undefined, origin: string): string | null {
  const allowed = (config ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (allowed.includes("*")) return "*";
  return origin !== "" && allowed.includes(origin) ? origin : null;
}

/**
 * CORS for the campaign webhook only (Convertr's campaign webhook documentation: landing pages post leads from browsers). Its key
 * travels in the query string or X-Api-Key, so no credentials mode is needed. No other route
 * answers CORS. Mounted in src/app.ts outside the rate limiter, so browsers can read its 429s.
 */
export const campaignWebhookCors = cors({
  origin: (origin, c) => allowedOrigin(c.env.CORS_ORIGINS, origin),
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["Content-Type", "Idempotency-Key", "X-Api-Key"],
  exposeHeaders: [...RATE_LIMIT_HEADER_NAMES, "Idempotent-Replayed"],
  maxAge: 600,
});
