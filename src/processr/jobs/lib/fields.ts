import { normaliseEmail } from "../../../leads/email";
import { PLATFORM_DATA_NAMES } from "../../../leads/platform-data";
import type { JobLead } from "../../types";

// Looking values up on a lead. Captured names keep their nesting ("lookup[postcode]",
// "telephone[telephone]"); a configured name matches a captured name exactly, or else the inner
// name of a nested field, so "postcode" finds "lookup[postcode]" and "telephone" finds
// "telephone[telephone]" when no flat field of that name was captured.

const innerName = (name: string) => /\[([^\][]+)\]$/.exec(name)?.[1] ?? null;

/** The captured name a configured field name refers to, if the lead has it. */
export function resolveField(lead: JobLead, name: string): string | undefined {
  if (Object.hasOwn(lead.values, name)) return name;
  const wanted = name.toLowerCase();
  const keys = Object.keys(lead.values);
  return (
    keys.find((k) => k.toLowerCase() === wanted) ??
    keys.find((k) => innerName(k)?.toLowerCase() === wanted)
  );
}

/** Whether a captured name is one of the configured names (exact or inner name, case-insensitive). */
export function matchesAny(captured: string, names: readonly string[]): boolean {
  const full = captured.toLowerCase();
  const inner = innerName(captured)?.toLowerCase();
  return names.some((n) => {
    const m = n.toLowerCase();
    return m === full || m === inner;
  });
}

export interface FieldValue {
  /** The captured name, or the configured name when the lead does not have it. */
  field: string;
  /** undefined when the field was not captured. */
  value: string | undefined;
}

/** The value of one configured field: a captured one, else a platform value of that name (case-insensitive). */
export function fieldValue(lead: JobLead, name: string): FieldValue {
  const captured = resolveField(lead, name);
  if (captured !== undefined) return { field: captured, value: lead.values[captured] };
  const wanted = name.toLowerCase();
  const platform = lead.platform && PLATFORM_DATA_NAMES.find((n) => n.toLowerCase() === wanted);
  return platform ? { field: platform, value: lead.platform![platform] } : { field: name, value: undefined };
}

/** The first of several candidate names that has a non-blank value ("telephone", "phone", ...). */
export function firstPresent(lead: JobLead, names: readonly string[]): FieldValue | undefined {
  for (const n of names) {
    const fv = fieldValue(lead, n);
    if (!isBlank(fv.value)) return fv;
  }
  return undefined;
}

/**
 * The fields a job scans: the configured `fields` when given (uncaptured ones included with an
 * undefined value), otherwise every captured field; `ignored` names are left out either way.
 */
export function selectFields(
  lead: JobLead,
  sel: { fields?: readonly string[]; ignored?: readonly string[] },
): FieldValue[] {
  const ignored = sel.ignored ?? [];
  const picked =
    sel.fields && sel.fields.length > 0
      ? sel.fields.map((n) => fieldValue(lead, n))
      : Object.entries(lead.values).map(([field, value]) => ({ field, value }));
  return picked.filter((fv) => !matchesAny(fv.field, ignored));
}

export const isBlank = (v: string | undefined | null): boolean => v === undefined || v === null || v.trim() === "";

/** Names under which forms capture a telephone number and a postcode. */
export const TELEPHONE_FIELDS = ["telephone", "phone", "mobile", "phoneNumber", "mobilePhone"] as const;
export const POSTCODE_FIELDS = ["postcode", "postCode", "postalCode", "zip", "zipCode"] as const;

/** The lead's email as capture resolved and stored it (src/leads/email.ts), so every job agrees. */
export function leadEmail(lead: JobLead): string | undefined {
  return normaliseEmail(lead.email) ?? undefined;
}
