import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { plainJson } from "../http/plain-json";

// JSON-LD plumbing shared by every v4 response (API Platform's documentation).
export const API_PREFIX = "/api/v4";
export const LD_JSON = "application/ld+json; charset=utf-8";
export const HYDRA = "http://www.w3.org/ns/hydra/core#";
export const DOCS_PATH = `${API_PREFIX}/docs.jsonld`;

/** Absolute origin of the request: a generic client fetches the Link URL as is, so it must be absolute. */
export const origin = (c: Context) => new URL(c.req.url).origin;

/** The `@vocab` every context and the docs share, so that expanded IRIs line up. */
export const vocab = (c: Context) => `${origin(c)}${DOCS_PATH}#`;

/** What an IRI of the collection at `path` starts with: made once for the ids of a page, each IRI is then one concatenation. */
export const iriPrefix = (path: string) => `${API_PREFIX}/${path}/`;
export const iri = (path: string, id: number | string) => iriPrefix(path) + id;

/**
 * iri(path, id) remembered per isolate, for ids that many items of a page share (a lead's
 * campaign): each item then holds the same string, made and flattened by JSON.stringify once. A
 * pure function of the id, so never stale; at most `max` ids are kept, then the memo starts anew.
 */
export function iriMemo(path: string, max = 10_000): (id: number) => string {
  const known = new Map<number, string>();
  return (id) => {
    let value = known.get(id);
    if (value === undefined) {
      if (known.size >= max) known.clear();
      known.set(id, (value = iri(path, id)));
    }
    return value;
  };
}

/** A JSON-LD response in API Platform's content type. */
export function ld(c: Context, body: unknown, status: 200 | 201 = 200, headers: Record<string, string> = {}) {
  return new Response(plainJson(body, c.env), { status, headers: { "Content-Type": LD_JSON, ...headers } });
}

/**
 * Every v4 response, errors included, announces the API documentation and is JSON-LD when it has
 * a body (a generic Hydra client reads both on whatever URL it starts from).
 */
export const hydraHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const res = c.res;
  const headers = new Headers(res.headers);
  headers.set("Link", `<${origin(c)}${DOCS_PATH}>; rel="${HYDRA}apiDocumentation"`);
  // A download (a CSV export, an uploaded document) keeps its own type.
  const download = res.headers.get("Content-Disposition")?.startsWith("attachment") ?? false;
  if (res.body !== null && res.status !== 204 && !download) headers.set("Content-Type", LD_JSON);
  // No statusText: an explicit "" (what a Response made without one reports) would go out as an
  // empty reason phrase ("HTTP/1.1 200 "); left out, the runtime sends the standard one.
  // Unset first: assigned over a response, Hono copies the new one again to merge the old one's
  // headers in, and these headers are a copy of them already.
  c.res = undefined;
  c.res = new Response(res.body, { status: res.status, headers });
};
