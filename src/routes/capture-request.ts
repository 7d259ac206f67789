import type { Context } from "hono";
import type { AppEnv } from "../env";
import { type CaptureInput, type CapturePolicy, type CaptureResult, captureLead } from "../leads/capture";
import { requestCountry } from "../leads/platform-data";

/**
 * Runs lead capture for an HTTP request (the publisher API and the campaign webhook share it):
 * adds the caller's IP, user agent and Cloudflare country, defers the queue send past the response, and renders the
 * surface's own success body.
 */
export async function captureFromRequest(
  c: Context<AppEnv>,
  input: Omit<CaptureInput, "ip" | "userAgent" | "country">,
  policy: CapturePolicy,
  /** Headers a surface adds to a created (or replayed) lead's answer, once the lead exists. */
  created?: (result: CaptureResult) => Promise<Record<string, string>>,
): Promise<Response> {
  const result = await captureLead(
    c.env,
    {
      ...input,
      ip: c.req.header("CF-Connecting-IP") ?? null,
      userAgent: c.req.header("User-Agent") ?? null,
      country: requestCountry(c.req.raw.cf),
    },
    policy,
    (p) => c.executionCtx.waitUntil(p),
  );
  return c.body(result.body, result.status as 201, {
    "Content-Type": "application/json",
    ...(result.replayed ? { "Idempotent-Replayed": "true" } : {}),
    ...(created && result.status === 201 && result.leadId > 0 ? await created(result) : {}),
  });
}
