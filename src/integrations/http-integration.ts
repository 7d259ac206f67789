import { eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { adaptors } from "../db/schema";
import type { Env } from "../env";
import type { Violation } from "../errors";
import type { IntegrationOutcome, JobLead } from "../processr/types";
import { leadFieldValue } from "./lead-values";
import { fetchOutbound, isSafeHeaderValue, isTransientStatus, retryAfterMs } from "./outbound-fetch";
import { checkOutboundUrl, OutboundUrlError, redactUrl } from "./outbound-url";
import { logProviderCall, truncate } from "./provider-log";
import { INTEGRATOR_LABELS, INTEGRATORS, jsonBody, PRESET_DEFAULTS, presetUrl, rawPairs } from "./integrator-presets";
import { extractResponseValue, isTruthyValue, RESPONSE_TYPES, ResponseParseError } from "./response-parsers";
import { triggerConfig, triggerIssues } from "./triggers";
import type { OutboundIntegrationJob } from "./types";

// The generic HTTP integration, modelled on Convoso Connect: A name, B URL, C query-string
// authentication, D headers "Name: value|Name: value", E method, F response type, G integrator
// preset (src/integrations/integrator-presets.ts), H delimiter, I response key, J field adaptor,
// plus the active flag, a success string and the trigger (src/integrations/triggers.ts).
//
// J: a POST names a shared adaptor (/api/v4/adaptors) by adaptorId, as Convoso requires ("If the
// Request Method is POST, we need to select the Adaptor ID"); what it sends is the adaptor's rows,
// or every captured value when the adaptor says sendAllValues. A GET may use an adaptor, inline
// rows, or neither (then every captured value goes as a query parameter, the vendor's lookup keys).
//
// E: POST delivers the lead to the vendor (RAW url-encoded or JSON). GET brings data in from the
// vendor: the lead's mapped values go as query parameters, and the response key's value (or the
// whole response without a key) is added to the lead as a new lead data value, named
// `enrichmentName` (default "enrichment." + the response key). A value the lead already has under
// that name — captured or from an earlier pull — is never overwritten: the pull is then refused.

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the runtime from the body; a copied "Content-length: 0" would corrupt the request.
const IGNORED_HEADERS = new Set(["content-length", "host", "transfer-encoding", "connection"]);

/** "Name: value|Name: value" → header pairs; throws on a malformed line. */
export function parseHeaderLines(lines: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of lines.split("|")) {
    const line = raw.trim();
    if (line === "") continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).trim();
    if (!HEADER_NAME.test(name)) throw new Error(`"${truncate(line, 60)}" is not a "Name: value" header line.`);
    // A CR or LF would split the value into another header (request smuggling); refused on save.
    if (!isSafeHeaderValue(line)) throw new Error(`The header "${name}" has a line break or control character in its value.`);
    if (!IGNORED_HEADERS.has(name.toLowerCase())) out.push([name, line.slice(colon + 1).trim()]);
  }
  return out;
}

// The names lead data may have (as the v4 lead data write accepts them).
const LEAD_DATA_NAME = /^[A-Za-z0-9_.\-[\]]+$/;
const LEAD_DATA_NAME_MESSAGE = "Field names use letters, digits, _ . - and [ ] only.";
/** The longest lead data value (as the v4 lead data write accepts it). */
const LEAD_DATA_VALUE_MAX = 5000;

/** One row of a field mapping: inline in config.fields, or in a shared adaptor (/api/v4/adaptors). */
export const adaptorRow = z.object({
  label: z.string().max(255).optional(),
  /** The lead's field (a captured field name or leadId, leadHash, campaignId, publisherId, ip, userAgent, createdTs). */
  field: z.string().trim().min(1).max(255),
  /** Outgoing key; a comma list sends the value under each key; blank rows are not sent. */
  mappedTo: z.string().max(1000).default(""),
  /** Sent when the lead has no value. */
  defaultValue: z.string().max(1000).default(""),
});

export type AdaptorRow = z.infer<typeof adaptorRow>;
/** A whole mapping, inline or shared. */
export const adaptorFields = z.array(adaptorRow).max(200);

const HUBSPOT_PORTAL_ID = z
  .union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().trim().regex(/^\d{1,16}$/, "A HubSpot portal (account) id: digits.")])
  .transform(String);
const HUBSPOT_FORM_GUID = z
  .string()
  .trim()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "A HubSpot form GUID (8-4-4-4-12 hexadecimal digits).");

export const httpIntegrationConfig = z
  .object({
    name: z.string().trim().min(1).max(255),
    /** Required without a preset; a preset builds it from portalId and formGuid. */
    url: z.string().trim().max(2048).default(""),
    authQuery: z.string().trim().max(2048).default(""),
    headers: z.string().max(8192).default(""),
    // Without a value, the integrator preset's (PRESET_DEFAULTS).
    method: z.enum(["POST", "GET"]).optional(),
    postDataType: z.enum(["RAW", "JSON"]).optional(),
    responseType: z.enum(RESPONSE_TYPES).optional(),
    integrator: z
      .enum(INTEGRATORS, { error: () => 'Must be "none", "hubspot_v1" or "hubspot_v3" (Blue Ink Digital publishes no API to build a preset from).' })
      .default("none"),
    portalId: HUBSPOT_PORTAL_ID.optional(),
    formGuid: HUBSPOT_FORM_GUID.optional(),
    delimiter: z.string().min(1).max(10).default(","),
    responseKey: z.string().trim().max(255).default(""),
    successString: z.string().max(1000).default(""),
    fields: adaptorFields.default([]).meta({ description: "GET only: the query parameters, when no adaptor is named (without rows, every captured value)." }),
    adaptorId: z
      .number()
      .int()
      .positive()
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .meta({ description: "The adaptor (/api/v4/adaptors) that says what is sent; required with POST." }),
    /** GET only: the lead data name the vendor's value is written under ("" → enrichmentNameOf's default). */
    ...triggerConfig,
    enrichmentName: z.string().trim().max(100).regex(LEAD_DATA_NAME, LEAD_DATA_NAME_MESSAGE).or(z.literal("")).default(""),
    active: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    if (c.integrator === "none") {
      try {
        const u = new URL(c.url);
        if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error();
      } catch {
        ctx.addIssue({ code: "custom", path: ["url"], message: "Must be an absolute http(s) URL." });
      }
      for (const key of ["portalId", "formGuid"] as const) {
        if (c[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "Only with a HubSpot integrator." });
      }
    } else {
      // The preset is the vendor's request: its URL, method and body shape are not configurable.
      const label = INTEGRATOR_LABELS[c.integrator];
      const preset = PRESET_DEFAULTS[c.integrator];
      if (c.url) ctx.addIssue({ code: "custom", path: ["url"], message: `${label} builds the URL from portalId and formGuid; leave url empty.` });
      for (const key of ["portalId", "formGuid"] as const) {
        if (c[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `Required with ${label}.` });
      }
      for (const key of ["method", "postDataType"] as const) {
        if (c[key] !== undefined && c[key] !== preset[key]) {
          ctx.addIssue({ code: "custom", path: [key], message: `${label} sends ${preset[key]}; leave ${key} out or set it to ${preset[key]}.` });
        }
      }
    }
    if (c.adaptorId !== undefined && c.fields.length) {
      ctx.addIssue({ code: "custom", path: ["adaptorId"], message: "Give either adaptorId or inline fields, not both." });
    } else if ((c.method ?? PRESET_DEFAULTS[c.integrator].method) === "POST" && c.adaptorId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["adaptorId"],
        message: c.fields.length
          ? "Required with POST: put these rows in an adaptor (/api/v4/adaptors) and give its id; inline fields are for GET only."
          : "Required with POST: the id of the adaptor (/api/v4/adaptors) that says what the vendor receives.",
      });
    }
    for (const issue of triggerIssues(c)) ctx.addIssue({ code: "custom", ...issue });
    try {
      parseHeaderLines(c.headers);
    } catch (e) {
      ctx.addIssue({ code: "custom", path: ["headers"], message: (e as Error).message });
    }
    if (c.authQuery && /^[?&]|[\s#]/.test(c.authQuery)) {
      ctx.addIssue({ code: "custom", path: ["authQuery"], message: 'Give the credentials as "name=value&name=value".' });
    }
  })
  .transform((c) => ({ ...PRESET_DEFAULTS[c.integrator], ...stripUndefined(c) }));

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The URL a job calls: the preset's vendor URL, or the configured one. */
export function integrationUrl(config: HttpIntegrationConfig): string {
  return presetUrl(config.integrator, config) ?? config.url;
}

export type HttpIntegrationConfig = z.infer<typeof httpIntegrationConfig>;

/** The lead data name a GET integration writes: the configured one, or "enrichment." + the response key (or "response"). */
export function enrichmentNameOf(config: HttpIntegrationConfig): string {
  if (config.enrichmentName) return config.enrichmentName;
  const key = config.responseKey.replace(/\//g, ".").replace(/[^A-Za-z0-9_.\-[\]]/g, "_");
  return `enrichment.${key || "response"}`.slice(0, 100);
}

/** What a call sends: mapped rows, or every captured value under its own name. */
export interface Mapping {
  sendAllValues: boolean;
  fields: AdaptorRow[];
}

/** The outgoing key/value pairs of a mapping. */
export function adaptorPayload(lead: JobLead & { leadHash: string }, mapping: Mapping): [string, string][] {
  if (mapping.sendAllValues) return Object.entries(lead.values);
  const out: [string, string][] = [];
  for (const row of mapping.fields) {
    const keys = row.mappedTo.split(",").map((k) => k.trim()).filter(Boolean);
    const value = leadFieldValue(lead, row.field) || row.defaultValue;
    for (const key of keys) out.push([key, value]);
  }
  return out;
}

/**
 * The mapping a call uses: the shared adaptor's (one D1 read, only when adaptorId is set; always
 * for POST) or a GET's inline rows, every value without rows; null when the adaptor is gone.
 */
async function mappingOf(env: Env, config: HttpIntegrationConfig): Promise<Mapping | null> {
  if (config.adaptorId === undefined) return { sendAllValues: config.fields.length === 0, fields: config.fields };
  const row = await getDb(env)
    .select({ fields: adaptors.fields, sendAllValues: adaptors.sendAllValues })
    .from(adaptors)
    .where(eq(adaptors.id, config.adaptorId))
    .get();
  return row ?? null;
}

/** Save-time check: the adaptor named by adaptorId exists. */
async function checkHttpConfig(env: Env, config: HttpIntegrationConfig): Promise<Violation[]> {
  if (config.adaptorId === undefined) return [];
  const row = await getDb(env).select({ id: adaptors.id }).from(adaptors).where(eq(adaptors.id, config.adaptorId)).get();
  return row ? [] : [{ propertyPath: "adaptorId", message: `No adaptor has the id ${config.adaptorId} (see /api/v4/adaptors).` }];
}

export interface HttpRunResult {
  outcome: IntegrationOutcome;
  statusCode: number | null;
  durationMs: number;
  logId: number | null;
}

/** One call of the integration for one lead, logged; shared by queue delivery and the "test" action. */
export async function runHttpIntegration(
  env: Env,
  lead: JobLead & { leadHash: string },
  config: HttpIntegrationConfig,
  opts: { jobId: number; idempotencyKey: string; test?: boolean },
): Promise<HttpRunResult> {
  let url: URL;
  try {
    url = checkOutboundUrl(env, integrationUrl(config));
  } catch (e) {
    if (!(e instanceof OutboundUrlError)) throw e;
    return { outcome: { status: "rejected", message: e.message }, statusCode: null, durationMs: 0, logId: null };
  }
  const mapping = await mappingOf(env, config);
  if (mapping === null) {
    return { outcome: { status: "rejected", message: `The adaptor ${config.adaptorId} no longer exists.` }, statusCode: null, durationMs: 0, logId: null };
  }
  const auth = new URLSearchParams(config.authQuery);
  for (const [k, v] of auth) url.searchParams.append(k, v);
  const payload = adaptorPayload(lead, mapping);
  const headers = new Headers(parseHeaderLines(config.headers));
  headers.set("Idempotency-Key", opts.idempotencyKey);
  let body: string | undefined;
  if (config.method === "GET") {
    for (const [k, v] of payload) url.searchParams.append(k, v);
  } else if (config.postDataType === "JSON") {
    body = JSON.stringify(jsonBody(config.integrator, lead, payload));
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  } else {
    body = new URLSearchParams(rawPairs(config.integrator, lead, payload)).toString();
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/x-www-form-urlencoded");
  }

  const result = await fetchOutbound(url, { method: config.method, headers, body });
  const outcome = classify(config, result, lead);
  const logId = await logProviderCall(env, {
    leadId: lead.id,
    campaignId: lead.campaignId,
    jobId: opts.jobId,
    label: `HTTP integration "${config.name}"`,
    method: config.method,
    url: redactUrl(url, auth.keys()),
    requestBody: body,
    result,
    outcome: outcome.status,
    message: outcome.message,
    test: opts.test,
  });
  return { outcome, statusCode: result.ok ? result.status : null, durationMs: result.durationMs, logId };
}

function classify(config: HttpIntegrationConfig, r: Awaited<ReturnType<typeof fetchOutbound>>, lead: JobLead): IntegrationOutcome {
  if (!r.ok) return { status: "retry", message: r.message };
  const snippet = truncate(r.body.trim(), 300);
  if (isTransientStatus(r.status)) {
    return { status: "retry", message: `HTTP ${r.status}: ${snippet}`, retryAfterMs: retryAfterMs(r.headers) ?? undefined };
  }
  if (r.status >= 300 && r.status < 400) {
    return { status: "rejected", message: `HTTP ${r.status}: redirects are not followed (Location: ${r.headers.get("Location") ?? "none"}).` };
  }
  if (r.status < 200 || r.status >= 300) return { status: "rejected", message: `HTTP ${r.status}: ${snippet}` };
  if (r.truncated) return { status: "rejected", message: "The response is larger than 1 MiB." };
  if (config.successString && !r.body.includes(config.successString)) {
    return { status: "rejected", message: `HTTP ${r.status}, but the success string "${config.successString}" is not in the response.` };
  }
  if (config.method === "GET") return enrichment(config, r.status, r.body, lead);
  let responseValue: string | null = null;
  if (config.responseKey) {
    try {
      responseValue = extractResponseValue(config.responseType, r.body, config.responseKey, config.delimiter);
    } catch (e) {
      if (!(e instanceof ResponseParseError)) throw e;
      return { status: "rejected", message: `HTTP ${r.status}, but the ${config.responseType} response cannot be read: ${e.message}` };
    }
    if (!isTruthyValue(responseValue)) {
      return {
        status: "rejected",
        message: `HTTP ${r.status}, but the response key "${config.responseKey}" is ${responseValue === null ? "missing" : `"${responseValue}"`}.`,
      };
    }
  }
  return {
    status: "delivered",
    message: `HTTP ${r.status}${responseValue === null ? "" : `, ${config.responseKey} = ${truncate(responseValue, 200)}`}`,
    ...(responseValue === null ? {} : { responseValue }),
  };
}

/** A GET's answer as the lead data value to add; any value is data here ("0" and "false" included). */
function enrichment(config: HttpIntegrationConfig, status: number, body: string, lead: JobLead): IntegrationOutcome {
  let value: string | null;
  try {
    value = config.responseKey ? extractResponseValue(config.responseType, body, config.responseKey, config.delimiter) : body.trim();
  } catch (e) {
    if (!(e instanceof ResponseParseError)) throw e;
    return { status: "rejected", message: `HTTP ${status}, but the ${config.responseType} response cannot be read: ${e.message}` };
  }
  if (value === null || value.trim() === "") {
    const what = config.responseKey ? `the response key "${config.responseKey}" is ${value === null ? "missing" : "empty"}` : "the response is empty";
    return { status: "rejected", message: `HTTP ${status}, but ${what}: nothing to add to the lead.` };
  }
  if (value.length > LEAD_DATA_VALUE_MAX) {
    return { status: "rejected", message: `HTTP ${status}, but the value is longer than ${LEAD_DATA_VALUE_MAX} characters: nothing added to the lead.` };
  }
  const name = enrichmentNameOf(config);
  if (Object.hasOwn(lead.values, name)) {
    return { status: "rejected", message: `HTTP ${status}, but the lead already has "${name}"; it is not overwritten.` };
  }
  return { status: "delivered", message: `HTTP ${status}, ${name} = ${truncate(value, 200)}`, responseValue: value, leadData: { name, value } };
}

export const httpIntegration: OutboundIntegrationJob<HttpIntegrationConfig> = {
  kind: "integration",
  type: "http_integration",
  catalogueId: null,
  name: "HTTP Integration",
  configSchema: httpIntegrationConfig as unknown as z.ZodType<HttpIntegrationConfig>,
  destination: integrationUrl,
  isActive: (config) => config.active,
  isEnrichment: (config) => config.method === "GET",
  checkConfig: checkHttpConfig,
  trigger: (config) => ({ event: config.trigger, flags: config.triggerFlags }),
  async deliver(lead, config, ctx) {
    return (await runHttpIntegration(ctx.env, lead, config, { jobId: ctx.jobId, idempotencyKey: ctx.idempotencyKey })).outcome;
  },
};
