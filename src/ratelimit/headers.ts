import type { Policy } from "./policies";
import type { HitResult } from "./rate-limiter";

/**
 * Rate-limit headers for the policies that applied to a request:
 * - `RateLimit-Policy` / `RateLimit` of draft-ietf-httpapi-ratelimit-headers-11, one list member
 *   per policy (`"total";q=3000;w=300` / `"total";r=2999;t=300`);
 * - the older `RateLimit-Limit` / `-Remaining` / `-Reset` (drafts up to -06) for the most
 *   restrictive policy: the one with the fewest requests left, on a tie the one that frees last.
 */
export function rateLimitHeaders(policies: Policy[], results: HitResult[]): Record<string, string> {
  let tightest = 0;
  results.forEach((r, i) => {
    const t = results[tightest]!;
    if (r.remaining < t.remaining || (r.remaining === t.remaining && r.resetSeconds > t.resetSeconds)) tightest = i;
  });
  return {
    "RateLimit-Policy": policies.map((p) => `"${p.name}";q=${p.limit};w=${p.windowSeconds}`).join(", "),
    RateLimit: policies.map((p, i) => `"${p.name}";r=${results[i]!.remaining};t=${results[i]!.resetSeconds}`).join(", "),
    "RateLimit-Limit": String(policies[tightest]!.limit),
    "RateLimit-Remaining": String(results[tightest]!.remaining),
    "RateLimit-Reset": String(results[tightest]!.resetSeconds),
  };
}

/** Every header name above, plus Retry-After: what browsers may read through CORS. */
export const RATE_LIMIT_HEADER_NAMES = [
  "RateLimit-Policy",
  "RateLimit",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "Retry-After",
];
