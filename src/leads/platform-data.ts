// The platform lead data every lead shows besides its captured values: emailDomain, createdDate,
// country, ip and userAgent (Convertr's Lead example lists them as lead data).
//
// They are computed when a lead is read, not stored as lead_datas rows: each is a function of
// columns the lead row already has (email, created_ts, ip, user_agent, and country, two bytes
// set at capture), and five more rows per lead would add ten rows written (row + unique index
// entry) to every capture. A value the form itself captured under the same name wins.

import { isoTs } from "../http/iso-time";

/** The lead columns the platform values are computed from. */
export interface PlatformSource {
  email: string | null;
  createdTs: number;
  ip: string | null;
  userAgent: string | null;
  /** ISO 3166-1 alpha-2 from Cloudflare at capture. */
  country: string | null;
}

export const PLATFORM_DATA_NAMES = ["emailDomain", "createdDate", "country", "ip", "userAgent"] as const;
export type PlatformDataName = (typeof PLATFORM_DATA_NAMES)[number];

// Cloudflare's request.cf.country: two letters, "XX" when unknown (and "T1" for Tor).
const COUNTRY_CODE = /^[A-Z]{2}$/;

/** The country code to store from a request's Cloudflare properties, or null. */
export function requestCountry(cf: unknown): string | null {
  const country = typeof cf === "object" && cf !== null ? (cf as { country?: unknown }).country : undefined;
  return typeof country === "string" && COUNTRY_CODE.test(country) && country !== "XX" ? country : null;
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });

// Names by code, per isolate: Intl.DisplayNames.of costs microseconds a call, once per lead of a
// page. Stored codes passed requestCountry (two capitals), so at most 676 entries.
const countryNames = new Map<string, string>();

/** "GB" → "United Kingdom", as Convertr shows it; a code Intl does not know stays as it is. */
export function countryName(code: string): string {
  let name = countryNames.get(code);
  if (name === undefined) {
    try {
      name = regionNames.of(code) ?? code;
    } catch {
      name = code;
    }
    if (COUNTRY_CODE.test(code)) countryNames.set(code, name);
  }
  return name;
}

/** The five platform values of a lead, in Convertr's order, each "" when there is nothing to compute it from. */
export function platformLeadData(lead: PlatformSource): Record<PlatformDataName, string> {
  const at = lead.email ? lead.email.lastIndexOf("@") : -1;
  return {
    emailDomain: at >= 0 ? lead.email!.slice(at) : "",
    createdDate: isoTs(lead.createdTs).slice(0, 10),
    country: lead.country ? countryName(lead.country) : "",
    ip: lead.ip ?? "",
    userAgent: lead.userAgent ?? "",
  };
}
