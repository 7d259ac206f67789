import type { CaptureContext } from "./capture";
import type { FormFieldDef } from "./capture-validate";

// What capture's read batch found for one request shape (campaign, form, link, publisher, API
// key), kept in this isolate so that the next capture of the same shape can go straight to its
// write batch: one D1 round trip instead of two (issue 17).
//
// Staleness cannot break a guarantee, because nothing here is trusted on its own: the write batch
// re-checks every fact inside its transaction (campaign live, started, not ended, not paused,
// contract signed, campaign key; form and every field as cached; the campaign publisher and its
// signature; the link enabled; the API key's owner; an API-key grant token's key and a campaign
// webhook key's binding to a publisher, when the request has them) and inserts nothing when one differs, and
// then capture runs its read batch and answers as it always did. An entry is dropped when its
// write is refused; the TTL and the size bound only limit memory. The rate limiter's verified
// keys (src/auth/verified-keys.ts) are refreshed only once D1 has confirmed the key: by the read
// batch, or by the guarded write that found its owner unchanged.

export const CAPTURE_CONFIG_TTL_MS = 60_000;
export const CAPTURE_CONFIG_MAX = 1_000;

/**
 * SQL for the signature of form ?N's fields as stored (every field's id, name, type, required and
 * position, in id order; NULL for a form without fields), with `?N` for the form's id. The read
 * batch reads it and the write batch's guard compares it with the table in one string comparison,
 * so that any change to the form's fields refuses the cached write.
 */
export const fieldsSignatureSql = (formParam: string): string =>
  `(SELECT group_concat(quote(id) || ',' || quote(name) || ',' || quote(type) || ',' || quote(required) || ',' || quote(position), ';')
      FROM (SELECT id, name, type, required, position FROM form_fields WHERE form_id = ${formParam} ORDER BY id))`;

export interface CaptureConfig {
  /** What the capture policy authorises against (re-checked by the write's guard). */
  ctx: CaptureContext;
  campaignPublisher: { id: number; publisherId: number };
  formFields: FormFieldDef[];
  /** The form's fields as the read batch found them (fieldsSignatureSql). */
  fieldsSignature: string | null;
  expires: number;
}

const configs = new Map<string, CaptureConfig>();
export function captureConfigKey(shape: {
  campaignId: number; formId: number; linkId: number | null; publisherId: number | null; apiKey: string | null;
}): string {
  return JSON.stringify([shape.campaignId, shape.formId, shape.linkId, shape.publisherId, shape.apiKey]);
}

export function cachedCaptureConfig(key: string, now = Date.now()): CaptureConfig | null {
  const c = configs.get(key);
  if (c === undefined) return null;
  if (c.expires > now) return c;
  configs.delete(key);
  return null;
}

export function rememberCaptureConfig(key: string, config: Omit<CaptureConfig, "expires">, now = Date.now()): void {
  configs.delete(key);
  if (configs.size >= CAPTURE_CONFIG_MAX) configs.delete(configs.keys().next().value!);
  configs.set(key, { ...config, expires: now + CAPTURE_CONFIG_TTL_MS });
}

export function forgetCaptureConfig(key: string): void {
  configs.delete(key);
}
