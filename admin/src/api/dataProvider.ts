import { fetchHydra, hydraDataProvider } from "@api-platform/admin";
import { parseHydraDocumentation } from "@api-platform/api-doc-parser";
import { authHeaders } from "./session";

/** The v4 API on the console's own origin (the Worker serves both). */
export const ENTRYPOINT = `${window.location.origin}/api/v4`;

/** fetchHydra with the session's bearer header (refreshed before expiry) merged into every request. */
export const httpClient: typeof fetchHydra = async (url, options = {}) => {
  const headers = await authHeaders();
  new Headers(options.headers as HeadersInit | undefined).forEach((v, k) => headers.set(k, v));
  return fetchHydra(url, { ...options, headers });
};

/**
 * API Platform Admin's Hydra data provider. The documentation parser gets the same bearer header,
 * which it also sends for every JSON-LD @context it expands.
 */
export const dataProvider = hydraDataProvider({
  entrypoint: ENTRYPOINT,
  httpClient,
  mercure: false,
  apiDocumentationParser: async (entrypoint, options = {}) =>
    parseHydraDocumentation(entrypoint, { ...options, headers: await authHeaders() }),
});

/** A plain JSON-LD GET of the v4 API for screens the generated ones do not cover (e.g. statistics). */
export async function getJsonLd<T>(path: string): Promise<T> {
  const { json } = await httpClient(new URL(path, window.location.origin));
  return json as T;
}
