import type { Context } from "hono";
import type { AppEnv } from "../env";
import { type CaptureInput, type CapturePolicy, captureLead } from "../leads/capture";

/**
 * Runs lead capture for an HTTP request (the publisher API and the campaign webhook share it):
 * adds the caller's IP and user agent, defers the queue send past the response, and renders the
 * surface's own success body.
 */
export async function captureFromRequest(
  c: Context<AppEnv>,
  input: Omit<CaptureInput, "ip" | "userAgent">,
  policy: CapturePolicy,
): Promise<Response> {
  const result = await captureLead(
    c.env,
    { ...input, ip: c.req.header("CF-Connecting-IP") ?? null, userAgent: c.req.header("User-Agent") ?? null },
    policy,
    (p) => c.executionCtx.waitUntil(p),
  );
  return c.body(result.body, result.status as 201, {
    "Content-Type": "application/json",
    ...(result.replayed ? { "Idempotent-Replayed": "true" } : {}),
  });
}
