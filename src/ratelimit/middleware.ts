import type { Context, MiddlewareHandler } from "hono";
import { signInUnavailable } from "../auth/codes";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { setResponseHeaders } from "../http/response-headers";
import { renderOAuthError } from "../routes/oauth-errors";
import { renderPublisherError } from "../routes/publisher/errors";
import { renderHydraError } from "../routes/v4/hydra-errors";
import { rateLimitHeaders } from "./headers";
import { isolateLeases } from "./leases";
import { isCredentialPath, policiesFor, rateLimitConfig } from "./policies";

/**
 * The 429 in the shape of the surface the request was for. The limiter runs before routing, so
 * the surfaces' own onError handlers never see this error; their renderers are called directly.
 */
function renderRateLimited(c: Context<AppEnv>, err: ApiError): Response | Promise<Response> {
  const path = c.req.path;
  if (path === "/api/v4" || path.startsWith("/api/v4/")) return renderHydraError(err, c);
  if (isCredentialPath(path)) return renderOAuthError(err, c);
  // The publisher API and the webhooks share {"code","message"} for a 429.
  return renderPublisherError(err, c);
}

/** Where a lease refill runs: the request's waitUntil (none when the app is called without one). */
function refillsIn(c: Context<AppEnv>): ((p: Promise<unknown>) => void) | undefined {
  let ctx: Context<AppEnv>["executionCtx"];
  try {
    ctx = c.executionCtx;
  } catch {
    return undefined;
  }
  return (p) => ctx.waitUntil(p);
}

/**
 * Counts every request against each policy that applies (from this isolate's lease of the policy's
 * limiter object, else one Durable Object RPC per policy, in parallel: src/ratelimit/leases.ts), refuses it with 429 and Retry-After when any policy is exhausted, and adds the
 * rate-limit headers to every response. A refused request still counts against the policies
 * that allowed it.
 */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = rateLimitConfig(c.env);
  const policies = await policiesFor(c, config);
  const now = Date.now();
  const background = refillsIn(c);
  let results;
  try {
    results = await Promise.all(
      policies.map((p) => isolateLeases.take(c.env.RATE_LIMITER, p.key, p.limit, p.windowSeconds * 1000, now, background)),
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // Passwords and one-time codes are never tried unlimited: those endpoints fail closed.
    if (isCredentialPath(c.req.path)) {
      console.error("rate limiter unavailable, credential request refused:", reason);
      return renderOAuthError(signInUnavailable(), c);
    }
    // Everything else, lead capture first, fails open: availability over strictness.
    console.error("rate limiter unavailable, request not limited:", reason);
    return next();
  }
  const headers = rateLimitHeaders(policies, results);
  const refused = results.filter((r) => !r.allowed);
  if (refused.length > 0) {
    const retryAfter = Math.max(...refused.map((r) => r.retryAfterSeconds));
    const err = new ApiError("RATE_LIMITED", "Too Many Requests", {
      headers: { ...headers, "Retry-After": String(retryAfter) },
    });
    return renderRateLimited(c, err);
  }
  await next();
  setResponseHeaders(c, Object.entries(headers));
};
