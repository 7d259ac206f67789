import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
// With its extension: scripts/dev.mjs loads this file in Node, which resolves no extensionless import.
import { setResponseHeaders } from "./response-headers.ts";

// Headers every response carries. The Worker serves JSON only, so the policy forbids everything a
// browser could do with a response (framing, scripts, sniffing it as another type).
/** Also how the dev scripts recognise the Worker on a port (scripts/lib/enterprise.mjs). */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
const ALWAYS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "Referrer-Policy": "no-referrer",
};
const HSTS = "max-age=31536000; includeSubDomains";
// ALWAYS as [name, value] pairs, and without the policy for a page that sets its own: built once.
const ALWAYS_HEADERS = Object.entries(ALWAYS);
const ALWAYS_BUT_POLICY = ALWAYS_HEADERS.filter(([name]) => name !== "Content-Security-Policy");

/** Whether the request carries a credential of any kind (token, API key, webhook key). */
function hasCredentials(c: Context<AppEnv>): boolean {
  return (
    c.req.header("Authorization") !== undefined ||
    c.req.header("X-Api-Key") !== undefined ||
    c.req.header("X-Webhook-Key") !== undefined ||
    c.req.query("access_token") !== undefined ||
    c.req.query("apikey") !== undefined ||
    c.req.query("key") !== undefined
  );
}

export const secureHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  // A page the Worker renders (the API reference at /docs) sets its own policy; nothing else does.
  const headers = [...(c.res.headers.has("Content-Security-Policy") ? ALWAYS_BUT_POLICY : ALWAYS_HEADERS)];
  // Locally the Worker is served over plain http; HSTS there would only confuse browsers.
  if (c.env.ENVIRONMENT !== "local") headers.push(["Strict-Transport-Security", HSTS]);
  // API responses are never cached by default; an answer to a credentialed request never at all.
  if (hasCredentials(c) || !c.res.headers.has("Cache-Control")) headers.push(["Cache-Control", "no-store"]);
  setResponseHeaders(c, headers);
};
