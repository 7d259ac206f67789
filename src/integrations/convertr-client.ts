import { z } from "zod";
import { sha256Hex } from "../auth/crypto";
import type { Env } from "../env";
import { fetchOutbound, isTransientStatus, type OutboundResult, retryAfterMs } from "./outbound-fetch";
import type { IntegrationOutcome } from "../processr/types";
import { checkOutboundUrl, OutboundUrlError, redactUrl } from "./outbound-url";
import { deliveryCallStatement, logProviderCall, type ProviderCall, providerCallStatement, truncate } from "./provider-log";

// Talking to a Convertr-compatible instance as one of its publishers, with nothing but what
// Convertr documents: a bearer token from the API-key grant of /oauth/v2/token, then the publisher
// API (fields, links, leads). leadflare's own extensions (sync subscriptions) are used only when
// the instance advertises them at /.well-known/leadflare (src/routes/well-known.ts).

/** The grant type Convertr's documentation gives; leadflare accepts any host in it. */
export const API_KEY_GRANT_TYPE = "https://convertr.cvtr.io/grants/api_key";
export const EXTENSIONS_PATH = "/.well-known/leadflare";
/**
 * leadflare's lead POST with its sync subscription (advertised as extensions.syncWithLead, naming
 * `callback`): the request's callback URL and secret, as the subscription body would carry them; the
 * answer's subscription id and the lead's hash when the subscription was made (src/routes/sync-subscriptions.ts).
 */
export const SYNC_WITH_LEAD = {
  callback: "Leadflare-Sync-Callback",
  secret: "Leadflare-Sync-Secret",
  subscription: "Leadflare-Sync-Subscription",
  leadHash: "Leadflare-Lead-Hash",
} as const;
/** Renew a cached token this long before it expires. */
const RENEW_BEFORE_MS = 60_000;
const EXTENSIONS_TTL_MS = 5 * 60_000;

export interface ClientCredentials {
  /** The instance's base URL, without a trailing slash. */
  baseUrl: string;
  /** Which configuration field named the instance ("subdomain" or "enterpriseUrl"), for messages. */
  baseField: "subdomain" | "enterpriseUrl";
  clientId: string;
  clientSecret: string;
  apiKey: string;
}

/** Why a call to the client failed, with the configuration field the user should fix (if any). */
export interface ClientFailure {
  field: "subdomain" | "enterpriseUrl" | "clientId" | "apiKey" | "campaignId" | null;
  message: string;
  /** Worth retrying later (network, timeout, 429, 5xx). */
  transient: boolean;
  retryAfterMs?: number;
  /** The call that failed, for the provider log (its body is never kept: it may carry secrets). */
  call?: { url: URL; method: string; result: OutboundResult };
}

const withCall = (f: ClientFailure, url: URL, method: string, result: OutboundResult): ClientFailure => ({ ...f, call: { url, method, result } });

export type Authorized = { ok: true; result: Extract<OutboundResult, { ok: true }> } | { ok: false; failure: ClientFailure };

/** `https://{subdomain}.cvtr.io` for a hosted Convertr client, else the configured base URL. */
export function clientBaseUrl(config: { subdomain?: string; enterpriseUrl?: string }): string {
  return config.subdomain !== undefined ? `https://${config.subdomain}.cvtr.io` : config.enterpriseUrl!;
}

/** The URL of a path on the client, checked against the outbound policy. */
export function clientUrl(env: Env, creds: Pick<ClientCredentials, "baseUrl" | "baseField">, path: string): URL | ClientFailure {
  try {
    return checkOutboundUrl(env, creds.baseUrl + path);
  } catch (e) {
    if (e instanceof OutboundUrlError) return { field: creds.baseField, message: e.message, transient: false };
    throw e;
  }
}

const unreachable = (creds: ClientCredentials, r: Extract<OutboundResult, { ok: false }>): ClientFailure => ({
  field: creds.baseField,
  message: `Could not reach ${creds.baseUrl} (${r.message}); check ${creds.baseField} or try again later.`,
  transient: true,
});

/** One line of what the client said: its OAuth or Convertr error body, else the start of the body. */
export function clientMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; error?: unknown; error_description?: unknown; errors?: unknown };
    const msg = j.message ?? j.error_description ?? j.error;
    if (typeof msg === "string") return truncate(j.errors ? `${msg}: ${JSON.stringify(j.errors)}` : msg, 500);
  } catch {
    // not JSON: the raw text
  }
  return truncate(body.trim(), 300) || "(empty body)";
}

const tokenBody = z.object({ access_token: z.string().min(1), expires_in: z.number().positive(), token_type: z.string() });
const oauthErrorBody = z.object({ error: z.string(), error_description: z.string().optional() });

/** A failure from an answer that is not a 2xx: transient for 429/5xx, else final. */
function httpFailure(r: Extract<OutboundResult, { ok: true }>, field: ClientFailure["field"], what: string): ClientFailure {
  const transient = isTransientStatus(r.status);
  return {
    field: transient ? null : field,
    message: `${what}: HTTP ${r.status}: ${clientMessage(r.body)}`,
    transient,
    retryAfterMs: retryAfterMs(r.headers) ?? undefined,
  };
}

async function requestToken(env: Env, creds: ClientCredentials): Promise<{ token: string; expiresAt: number } | ClientFailure> {
  const url = clientUrl(env, creds, "/oauth/v2/token");
  if (!(url instanceof URL)) return url;
  const r = await fetchOutbound(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      grant_type: API_KEY_GRANT_TYPE, client_id: creds.clientId, client_secret: creds.clientSecret, api_key: creds.apiKey,
    }).toString(),
  });
  const got = judgeToken(creds, r);
  return "token" in got ? got : withCall(got, url, "POST", r);
}

function judgeToken(creds: ClientCredentials, r: OutboundResult): { token: string; expiresAt: number } | ClientFailure {
  if (!r.ok) return unreachable(creds, r);
  let json: unknown = null;
  try {
    json = JSON.parse(r.body);
  } catch {
    // judged below
  }
  const granted = r.status === 200 ? tokenBody.safeParse(json) : null;
  if (granted?.success) {
    const lifetimeMs = granted.data.expires_in * 1000;
    return { token: granted.data.access_token, expiresAt: Date.now() + Math.max(lifetimeMs / 2, lifetimeMs - RENEW_BEFORE_MS) };
  }
  const oauth = oauthErrorBody.safeParse(json);
  if (!isTransientStatus(r.status) && oauth.success) {
    const said = oauth.data.error_description ?? oauth.data.error;
    if (oauth.data.error === "invalid_client") {
      return { field: "clientId", message: `The client refused clientId/clientSecret: ${said}`, transient: false };
    }
    if (oauth.data.error === "invalid_grant") {
      return { field: "apiKey", message: `The client refused the API key: ${said}`, transient: false };
    }
  }
  if (isTransientStatus(r.status)) return httpFailure(r, null, "The client's token endpoint failed");
  // Something answered, but not a Convertr token endpoint: the wrong instance.
  return {
    field: creds.baseField,
    message: `${creds.baseUrl} does not look like a Convertr instance: its /oauth/v2/token answered HTTP ${r.status} (${clientMessage(r.body)}); check ${creds.baseField}.`,
    transient: false,
  };
}

// Tokens per client (instance, OAuth client, API key), shared by the deliveries this isolate runs.
// Only tokens are kept, never a pending request: a delivery must not wait on another invocation's
// fetch (if that invocation were cancelled, the fetch would never settle and the waiter would
// hang), so deliveries that start together before any token is kept may each ask for one.
const tokens = new Map<string, { token: string; expiresAt: number }>();

// Every credential is part of the key: a token never answers for credentials that did not get it.
const cacheKey = async (creds: ClientCredentials) =>
  `${creds.baseUrl}\n${creds.clientId}\n${await sha256Hex(`${creds.clientSecret}\n${creds.apiKey}`)}`;

async function token(env: Env, creds: ClientCredentials, renew: boolean): Promise<string | ClientFailure> {
  const key = await cacheKey(creds);
  const kept = tokens.get(key);
  if (kept && !renew && kept.expiresAt > Date.now()) return kept.token;
  const got = await requestToken(env, creds);
  // Failures are not kept: the next delivery asks again.
  if (!("token" in got)) return got;
  tokens.set(key, got);
  return got.token;
}

/**
 * A call to the publisher API with the cached token; on a 401 the token is renewed once and the
 * call repeated (the client refused the token before doing anything, so repeating is safe).
 */
export async function authorizedFetch(env: Env, creds: ClientCredentials, url: URL, init: RequestInit): Promise<Authorized> {
  for (const renew of [false, true]) {
    const bearer = await token(env, creds, renew);
    if (typeof bearer !== "string") return { ok: false, failure: bearer };
    const r = await fetchOutbound(url, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${bearer}` } });
    if (!r.ok) return { ok: false, failure: withCall(unreachable(creds, r), url, init.method ?? "GET", r) };
    if (r.status !== 401 || renew) return { ok: true, result: r };
  }
  throw new Error("unreachable");
}

/** What the instance advertises beyond Convertr's API; nothing for a Convertr instance. */
export interface Extensions {
  /** Absolute URL of leadflare's sync subscriptions (Standard Webhooks callbacks), or null. */
  syncSubscriptions: URL | null;
  /** The lead POST also takes the lead's subscription (SYNC_WITH_LEAD's headers). */
  syncWithLead: boolean;
}

const extensionsDoc = z.object({
  extensions: z.object({ syncSubscriptions: z.string().startsWith("/").optional(), syncWithLead: z.string().optional() }),
});
const extensionCache = new Map<string, { at: number; value: Extensions }>();

/** The instance's extensions if this isolate has them cached, else null (no request made). */
export function knownExtensions(creds: Pick<ClientCredentials, "baseUrl">): Extensions | null {
  const hit = extensionCache.get(creds.baseUrl);
  return hit && Date.now() - hit.at < EXTENSIONS_TTL_MS ? hit.value : null;
}

/**
 * The extensions the instance advertises at /.well-known/leadflare (cached for a few minutes).
 * A missing or unreadable document means none; only a transient failure is reported as such.
 */
export async function clientExtensions(env: Env, creds: ClientCredentials): Promise<Extensions | ClientFailure> {
  const hit = knownExtensions(creds);
  if (hit) return hit;
  const url = clientUrl(env, creds, EXTENSIONS_PATH);
  if (!(url instanceof URL)) return url;
  const r = await fetchOutbound(url, { headers: { Accept: "application/json" } });
  if (!r.ok) return withCall(unreachable(creds, r), url, "GET", r);
  if (isTransientStatus(r.status)) return withCall(httpFailure(r, null, "The client's extension document failed"), url, "GET", r);
  let value: Extensions = { syncSubscriptions: null, syncWithLead: false };
  if (r.status === 200) {
    try {
      const doc = extensionsDoc.safeParse(JSON.parse(r.body));
      const path = doc.success ? doc.data.extensions.syncSubscriptions : undefined;
      const sub = path === undefined ? null : clientUrl(env, creds, path);
      // Only with the subscriptions themselves: the headers make the same subscription.
      const withLead = sub instanceof URL && doc.data?.extensions.syncWithLead === SYNC_WITH_LEAD.callback;
      value = { syncSubscriptions: sub instanceof URL ? sub : null, syncWithLead: withLead };
    } catch {
      // not JSON: no extensions
    }
  }
  extensionCache.set(creds.baseUrl, { at: Date.now(), value });
  return value;
}

const formsDoc = z.array(z.object({ formId: z.number(), formName: z.string(), fields: z.array(z.string()) }));
const linksDoc = z.array(z.object({ id: z.number(), name: z.string(), channel: z.string(), destination: z.string() }));

export type ClientForm = z.infer<typeof formsDoc>[number];
export type ClientLink = z.infer<typeof linksDoc>[number];

/**
 * The campaign's forms and links from the documented publisher API. Each failure names the field
 * to fix: the instance (subdomain or URL), the client credentials, the API key, the campaign.
 */
export async function campaignFormsAndLinks(
  env: Env,
  creds: ClientCredentials,
  campaignId: number,
): Promise<{ ok: true; forms: ClientForm[]; links: ClientLink[] } | { ok: false; failure: ClientFailure }> {
  const out: unknown[] = [];
  for (const what of ["fields", "links"] as const) {
    const url = clientUrl(env, creds, `/api/v2.4/publisher/${what}/${campaignId}`);
    if (!(url instanceof URL)) return { ok: false, failure: url };
    const got = await authorizedFetch(env, creds, url, { headers: { Accept: "application/json" } });
    if (!got.ok) return got;
    const r = got.result;
    if (r.status === 401) return { ok: false, failure: { field: "apiKey", message: `The client refused the token of this API key: ${clientMessage(r.body)}`, transient: false } };
    if (r.status === 403 || r.status === 404) {
      return { ok: false, failure: { field: "campaignId", message: `Campaign ${campaignId} is not covered by this API key at the client.`, transient: false } };
    }
    if (r.status !== 200) return { ok: false, failure: httpFailure(r, creds.baseField, `The client's ${what} endpoint failed`) };
    try {
      out.push(JSON.parse(r.body));
    } catch {
      out.push(null);
    }
  }
  const forms = formsDoc.safeParse(out[0]);
  const links = linksDoc.safeParse(out[1]);
  if (!forms.success || !links.success) {
    return { ok: false, failure: { field: creds.baseField, message: `${creds.baseUrl} answered with an unexpected fields or links document.`, transient: false } };
  }
  return { ok: true, forms: forms.data, links: links.data };
}

/** A failure before or instead of an answer, as a delivery outcome. */
export const failureOutcome = (f: ClientFailure): IntegrationOutcome =>
  f.transient ? { status: "retry", message: f.message, retryAfterMs: f.retryAfterMs } : { status: "rejected", message: f.message };

/** An answer that is not a 2xx, as a delivery outcome; null for a 2xx. */
export function answerOutcome(r: Extract<OutboundResult, { ok: true }>): IntegrationOutcome | null {
  if (r.status >= 200 && r.status < 300) return null;
  const message = `HTTP ${r.status}: ${clientMessage(r.body)}`;
  return failureOutcome({ field: null, message, transient: isTransientStatus(r.status), retryAfterMs: retryAfterMs(r.headers) ?? undefined });
}

/** Provider-log lines of one lead's calls to the client. */
export function callLog(env: Env, lead: { id: number; campaignId: number }, jobId: number) {
  const call = (label: string, url: URL, requestBody: string | undefined, result: OutboundResult, outcome: IntegrationOutcome, method = "POST"): ProviderCall => ({
    leadId: lead.id, campaignId: lead.campaignId, jobId, label, method, url: redactUrl(url),
    requestBody, result, outcome: outcome.status, message: outcome.message,
  });
  const log = (...args: Parameters<typeof call>) => logProviderCall(env, call(...args));
  /** The line's insert, for a caller that writes it in one batch with its own statements. */
  const logStatement = (...args: Parameters<typeof call>) => providerCallStatement(env, call(...args));
  /** The line's insert among a delivery outcome's writes: once for the delivery's attempt. */
  const outcomeLogStatement = (attempt: number, ...args: Parameters<typeof call>) => deliveryCallStatement(env, { ...call(...args), attempt });
  // A failed token or extension call is logged too, without its body (it carries the secrets).
  const failedCall = async (f: ClientFailure): Promise<IntegrationOutcome> => {
    const outcome = failureOutcome(f);
    if (f.call) await log("Convertr Connect", f.call.url, undefined, f.call.result, outcome, f.call.method);
    return outcome;
  };
  return { log, logStatement, outcomeLogStatement, failedCall };
}
