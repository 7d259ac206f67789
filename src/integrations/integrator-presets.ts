import type { JobLead } from "../processr/types";

// Convoso Connect's "API Integrator" (field G): integrations built in for a vendor. A preset here
// is what it is there: the vendor's URL shape, request method, body shape and response type, so
// that only the vendor's ids and the field adaptor remain to be filled in.
//
//   hubspot_v1: HubSpot Forms API v2 "Submit data to a form" (the legacy url-encoded endpoint):
//     POST https://forms.hubspot.com/uploads/form/v2/{portalId}/{formGuid}, url-encoded fields plus
//     hs_context = {"ipAddress": lead ip}; success is 204 No Content, so the response type is TEXT.
//   hubspot_v3: HubSpot Forms API v3 "Submit data to a form" (unauthenticated):
//     POST https://api.hsforms.com/submissions/v3/integration/submit/{portalId}/{formGuid}, JSON
//     {"fields":[{"name","value"}…],"context":{"ipAddress"}}; success is 200 with a JSON
//     {"inlineMessage"|"redirectUri"}, errors are 400/404 with {"status":"error","message",…}.
// Blue Ink Digital publishes no API to build a preset from, so there is none.

export const INTEGRATORS = ["none", "hubspot_v1", "hubspot_v3"] as const;
export type Integrator = (typeof INTEGRATORS)[number];

export interface PresetDefaults {
  method: "POST" | "GET";
  postDataType: "RAW" | "JSON";
  responseType: "JSON" | "XML" | "TEXT";
}

// Null prototypes: the integrator is named by a job config, and although the config schema admits
// only INTEGRATORS, "constructor" must find nothing here whatever reaches these tables.
export const PRESET_DEFAULTS: Record<Integrator, PresetDefaults> = Object.assign(Object.create(null), {
  none: { method: "POST", postDataType: "RAW", responseType: "JSON" },
  hubspot_v1: { method: "POST", postDataType: "RAW", responseType: "TEXT" },
  hubspot_v3: { method: "POST", postDataType: "JSON", responseType: "JSON" },
} satisfies Record<Integrator, PresetDefaults>);

export const INTEGRATOR_LABELS: Record<Integrator, string> = Object.assign(Object.create(null), {
  none: "None",
  hubspot_v1: "HubSpot v1",
  hubspot_v3: "HubSpot v3",
} satisfies Record<Integrator, string>);

/** The vendor URL of a preset; null for "none" (the configured URL is used). */
export function presetUrl(integrator: Integrator, ids: { portalId?: string; formGuid?: string }): string | null {
  const path = `${encodeURIComponent(ids.portalId ?? "")}/${encodeURIComponent(ids.formGuid ?? "")}`;
  if (integrator === "hubspot_v1") return `https://forms.hubspot.com/uploads/form/v2/${path}`;
  if (integrator === "hubspot_v3") return `https://api.hsforms.com/submissions/v3/integration/submit/${path}`;
  return null;
}

/** HubSpot's submission context: the IP address the lead was captured from, when known. */
function hubspotContext(lead: JobLead): Record<string, string> | null {
  return lead.ip ? { ipAddress: lead.ip } : null;
}

/** The url-encoded pairs of a RAW request: the adaptor's pairs, plus hs_context for HubSpot v1. */
export function rawPairs(integrator: Integrator, lead: JobLead, pairs: [string, string][]): [string, string][] {
  const context = integrator === "hubspot_v1" ? hubspotContext(lead) : null;
  // An adaptor row that sends its own hs_context wins.
  if (!context || pairs.some(([k]) => k === "hs_context")) return pairs;
  return [...pairs, ["hs_context", JSON.stringify(context)]];
}

/** The JSON body: a flat object, or HubSpot v3's list of fields with the submission context. */
export function jsonBody(integrator: Integrator, lead: JobLead, pairs: [string, string][]): unknown {
  if (integrator !== "hubspot_v3") return Object.fromEntries(pairs);
  const context = hubspotContext(lead);
  return { fields: pairs.map(([name, value]) => ({ name, value })), ...(context ? { context } : {}) };
}
