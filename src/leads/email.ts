import { typedFieldName, typedFieldNameSql } from "./core-fields.ts";

// A lead's email, resolved one way everywhere, by the core fields' rule of the typed field first
// (src/leads/core-fields.ts) with one difference on purpose: a form with an email-type field takes
// its email from that field only (an empty one is no email, whatever else the lead holds), and a
// form without one from a field named "email". It is stored on leads.email trimmed and lower-cased,
// at capture and on every edit of that field, so the duplicate and activity checks compare stored
// values only.

/** The name of the field that holds a form's email (fields in form order). */
export function emailFieldName(fields: readonly { name: string; type?: string }[]): string {
  return typedFieldName(fields, "email") ?? "email";
}

/** The stored form of an email: trimmed and lower-cased; null when blank. */
export function normaliseEmail(raw: string | null | undefined): string | null {
  const v = raw?.trim().toLowerCase();
  return v ? v : null;
}

/**
 * SQL for a statement on `leads`: the email field name of the lead's form (emailFieldName in SQL).
 * Edits of lead data set leads.email again from the data (EMAIL_FROM_LEAD_DATA_SQL) in their batch.
 */
const LEAD_EMAIL_FIELD_SQL = `coalesce(${typedFieldNameSql("leads.form_id", "email")}, 'email')`;

/** SQL for a statement on `leads`: the lead's email from its stored data, normalised (null if blank). */
export const EMAIL_FROM_LEAD_DATA_SQL = `nullif(lower(trim(coalesce((SELECT d.value FROM lead_datas d
  WHERE d.lead_id = leads.id AND d.name = ${LEAD_EMAIL_FIELD_SQL}), ''))), '')`;
