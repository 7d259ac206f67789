// The lead POST of Convertr's publisher API (form-encoded `form[...]` body, the campaign
// publisher's key in X-Api-Key), as a shell command the publisher can copy and run.

/**
 * A value the example can send for a field: the form's validation checks emails and telephones, and
 * the campaign's QA checks (a first name equal to the last fails one), so the lead it posts is Valid.
 */
function sampleValue(field: string): string {
  const name = field.toLowerCase();
  if (name.includes("email")) return "jane.doe@example.com";
  if (name.includes("firstname")) return "Jane";
  if (name.includes("lastname") || name.includes("surname")) return "Doe";
  if (name.includes("countrycode")) return "44";
  if (name.includes("telephone") || name.includes("phone")) return "07700900123";
  if (name.includes("submit")) return "true";
  if (name.includes("postcode")) return "SW1A 1AA";
  return "Example";
}

/** `form[firstName]` → `form%5BfirstName%5D=Jane`, as the publisher API documents the body. */
export function exampleBody(fields: string[]): string {
  return fields.map((f) => `${encodeURIComponent(f)}=${encodeURIComponent(sampleValue(f))}`).join("&");
}

export interface LeadPostTarget {
  baseUrl: string;
  publisherId: number;
  formId: number;
  campaignId: number;
  apiKey: string;
  fields: string[];
}

export const leadPostUrl = (t: Omit<LeadPostTarget, "apiKey" | "fields">) =>
  `${t.baseUrl}/api/v2.4/publisher/${t.publisherId}/forms/${t.formId}/campaign/${t.campaignId}/leads`;

/** Single-quoted for a POSIX shell (a quote inside is closed, escaped and reopened). */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function leadPostCurl(t: LeadPostTarget): string {
  return [
    `curl -X POST ${quote(leadPostUrl(t))}`,
    `  -H ${quote(`X-Api-Key: ${t.apiKey}`)}`,
    `  -H 'Content-Type: application/x-www-form-urlencoded'`,
    `  -d ${quote(exampleBody(t.fields))}`,
  ].join(" \\\n");
}
