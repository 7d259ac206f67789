import type { Context } from "hono";

/**
 * Sets headers on the response a middleware finds after `await next()`, copying the response
 * once. Hono's c.header copies the whole response on every call once it exists, so a middleware
 * adding five headers copied it five times (the security headers and the rate-limit headers
 * made ten copies of every answer).
 */
export function setResponseHeaders(c: Context, headers: [string, string][]) {
  if (headers.length === 0) return;
  // A consumed body cannot be copied: set the headers where they are, as c.header does.
  const res = c.res.bodyUsed ? c.res : new Response(c.res.body, c.res);
  for (const [name, value] of headers) res.headers.set(name, value);
  if (res === c.res) return;
  // Unset first: assigned over a response, Hono copies the new one again to merge the old one's headers in.
  c.res = undefined;
  c.res = res;
}
