import { fetchHydra, hydraDataProvider } from "@api-platform/admin";
import { parseHydraDocumentation } from "@api-platform/api-doc-parser";
import { authHeaders, currentAuthHeaders } from "./session";

/** The v4 API on the console's own origin (the Worker serves both). */
export const ENTRYPOINT = `${window.location.origin}/api/v4`;

/**
 * fetchHydra with the session's bearer header (refreshed before expiry) merged into every request.
 * An empty collection's total is also given unprefixed: API Platform Admin takes a `hydra:` key only
 * when its value is truthy, so it dropped `hydra:totalItems: 0` and react-admin, left without a
 * total, paged an empty list as "1-25 of 25". The unprefixed `totalItems` it reads whatever its value.
 */
export const httpClient: typeof fetchHydra = async (url, options = {}) => {
  const headers = await authHeaders();
  new Headers(options.headers as HeadersInit | undefined).forEach((v, k) => headers.set(k, v));
  const response = await fetchHydra(url, { ...options, headers });
  const { json } = response;
  return json?.["hydra:totalItems"] === 0 ? { ...response, json: { ...json, totalItems: 0 } } : response;
};

/**
 * API Platform Admin's Hydra data provider. The documentation parser gets the same bearer header
 * (for every JSON-LD @context it expands, too) as a function: it keeps its options and calls them
 * again after sign-in, when it reads a collection's search filters.
 */
const hydra = hydraDataProvider({
  entrypoint: ENTRYPOINT,
  httpClient,
  mercure: false,
  apiDocumentationParser: async (entrypoint, options = {}) => {
    await authHeaders(); // refreshes the token first when it is close to expiry
    return parseHydraDocumentation(entrypoint, { ...options, headers: currentAuthHeaders });
  },
});

/**
 * Filters the API offers only in their list form (`status[]=…`): API Platform Admin would send a
 * react-admin filter `status` as `status=…`, so such keys are renamed before the request.
 */
const LIST_ONLY_FILTERS = new Map<string, ReadonlySet<string>>([["campaigns", new Set(["status"])]]);

function listFilters(resource: string, filter: Record<string, unknown> = {}) {
  const listOnly = LIST_ONLY_FILTERS.get(resource);
  if (!listOnly) return filter;
  return Object.fromEntries(Object.entries(filter).map(([k, v]) => [listOnly.has(k) ? `${k}[]` : k, v]));
}

// One documentation parse shared by the admin and App's resource list (a failed one is retried).
let introspection: ReturnType<typeof hydra.introspect> | null = null;

export const dataProvider: typeof hydra = {
  ...hydra,
  introspect: (...args) => {
    introspection ??= hydra.introspect(...args).catch((e) => {
      introspection = null;
      throw e;
    });
    return introspection;
  },
  getList: (resource, params) => hydra.getList(resource, { ...params, filter: listFilters(resource, params.filter) }),
};

/** A plain JSON-LD GET of the v4 API for screens the generated ones do not cover (e.g. statistics). */
export async function getJsonLd<T>(path: string): Promise<T> {
  const { json } = await httpClient(new URL(path, window.location.origin));
  return json as T;
}

/** A Hydra collection's members (either prefix form) and total. */
export interface Collection<T> {
  member: T[];
  totalItems: number;
}

export async function getCollection<T>(path: string): Promise<Collection<T>> {
  const json = await getJsonLd<Record<string, unknown>>(path);
  return {
    member: (json["hydra:member"] ?? json.member ?? []) as T[],
    totalItems: Number(json["hydra:totalItems"] ?? json.totalItems ?? 0),
  };
}

/** A query string with repeated `name[]` parameters for a list of values (Hydra's array filters). */
export function listQuery(name: string, values: (string | number)[]) {
  return values.map((v) => `${encodeURIComponent(`${name}[]`)}=${encodeURIComponent(String(v))}`).join("&");
}
