import { normaliseEmail } from "../leads/email";
import type { ValidationListKind } from "../db/schema";

// The one stored form of a validation list value, so that checking a lead is an exact match on
// the entries' value index. The lead side goes through the same functions (the job's lookup).
//
// - email: trimmed and lower-cased, as capture stores a lead's email (src/leads/email.ts);
// - domain: lower-cased, without a leading "@" or a trailing dot ("@Example.COM." → "example.com");
// - phone: the digits only, as the Telephone Format Check counts them, with a leading "+" kept
//   (and "00" read as "+"): "+44 20 7946-0958" and "0044 (20) 79460958" → "+442079460958". National and
//   international forms of one number are different values: list numbers the way leads carry them.

/** What a person may type around a telephone number's digits (the Telephone Format Check accepts only these). */
export const PHONE_FORMATTING = /^\+?[\d\s().\-/]+$/;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/u;
const DOMAIN = /^(?=.{1,253}$)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]{2,63}$/u;
const MIN_PHONE_DIGITS = 6;
const MAX_PHONE_DIGITS = 15; // E.164

export function normalisePhone(raw: string): string | null {
  const v = raw.trim();
  if (!PHONE_FORMATTING.test(v)) return null;
  const digits = v.replace(/\D/g, "");
  const international = v.startsWith("+") || digits.startsWith("00");
  const national = v.startsWith("+") ? digits : digits.startsWith("00") ? digits.slice(2) : digits;
  if (national.length < MIN_PHONE_DIGITS || national.length > MAX_PHONE_DIGITS) return null;
  return international ? `+${national}` : national;
}

export function normaliseDomain(raw: string): string | null {
  const v = raw.trim().toLowerCase().replace(/^@/, "").replace(/\.$/, "");
  return DOMAIN.test(v) ? v : null;
}

export function normaliseListEmail(raw: string): string | null {
  const v = normaliseEmail(raw);
  return v !== null && EMAIL.test(v) ? v : null;
}

const NORMALISERS = new Map<ValidationListKind, (raw: string) => string | null>([
  ["email", normaliseListEmail],
  ["domain", normaliseDomain],
  ["phone", normalisePhone],
]);

const WHAT: Record<ValidationListKind, string> = {
  email: "an email address",
  domain: "a domain name (example.com)",
  phone: `a telephone number (${MIN_PHONE_DIGITS} to ${MAX_PHONE_DIGITS} digits, optionally with a leading +)`,
};

/** The stored form of a value for a list of this kind, or an error message saying what was expected. */
export function normaliseListValue(kind: ValidationListKind, raw: string): { value: string } | { error: string } {
  const value = NORMALISERS.get(kind)!(raw);
  return value === null ? { error: `${JSON.stringify(raw.slice(0, 100))} is not ${WHAT[kind]}.` } : { value };
}

/** The domain of a normalised email and its parent domains ("a.example.com" → a.example.com, example.com). */
export function domainsOf(email: string): string[] {
  const domain = email.slice(email.lastIndexOf("@") + 1);
  const labels = domain.split(".");
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
}
