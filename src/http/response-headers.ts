import type { Context } from "hono";

/**
 * Sets headers on the response a middleware finds after `await next()`. A response the Worker
 * built (c.body, c.json, new Response) has mutable headers and takes them in place; only one with
 * immutable headers (a fetch() answer passed through) is copied, once. Hono's c.header copies the
 * whole response on every call once it exists: the security and rate-limit headers used to make
 * ten copies of every answer, then two (one per middleware), now none.
 */
export function setResponseHeaders(c: Context, headers: readonly (readonly [string, string])[]) {
  if (headers.length === 0) return;
  const res = c.res;
  try {
    for (const [name, value] of headers) res.headers.set(name, value);
    return;
  } catch (e) {
    // Immutable headers refuse the first set, so nothing was changed: copy once, as c.header
    // would (a consumed body cannot be copied; c.header would fail there too).
    if (!(e instanceof TypeError) || res.bodyUsed) throw e;
  }
  const copy = new Response(res.body, res);
  for (const [name, value] of headers) copy.headers.set(name, value);
  // Unset first: assigned over a response, Hono copies the new one again to merge the old one's headers in.
  c.res = undefined;
  c.res = copy;
}
