import { z } from "zod";
import { PLATFORM_DATA_NAMES } from "../leads/platform-data";
import { setLeadValues } from "../leads/lead-data-block";
import { MAX_REGEX_INPUT, unsafeRegexReason } from "./safe-regex";

// Advertiser value transforms (Convertr's AdvertiserValueTransformField), applied by the Processr
// before the QA jobs when the lead's campaign has useValueTransforms on:
// - a Transform looks the lead's captured value of originalFieldName up in its value table and
//   writes the matching new value into newFieldName;
// - a Manipulation computes newFieldName from originalFieldName (and, for a concatenation, more
//   fields): concatenate, regex find/replace, casing or hashing.
// Rules run in position order and a Manipulation sees what earlier rules wrote, so QA jobs (and
// later Manipulations) can use the new fields. A Transform looks up the lead's value as received:
// its value table maps values a form or a platform sends ("known value → new value"), and
// Convertr's documents describe no chaining of tables, so a Transform keyed on another rule's new
// field finds nothing. Both kinds read the platform lead data (emailDomain, country, ...:
// src/leads/platform-data.ts) under its name when the form captured no value of that name. A result is lead data of type "value.transform" with a lead
// note; it never replaces a captured value. On a rerun (a reprocess, a redelivered message) each
// rule's earlier result is updated in place: an unchanged result writes nothing, a changed one
// is updated with a note, and one that no longer applies is removed with a note.

/** The lead_datas.type of a value transform's result. */
export const VALUE_TRANSFORM_DATA_TYPE = "value.transform";

/** Field names as lead data names are written (POST /api/v4/lead-datas takes the same). */
export const fieldName = z
  .string()
  .trim()
  .min(1, "This value should not be blank.")
  .max(100)
  .regex(/^[A-Za-z0-9_.\-[\]]+$/, "Field names use letters, digits, _ . - and [ ] only.");

const REGEX_FLAGS = /^(?!.*(.).*\1)[gimsu]*$/;

/** A Manipulation's settings (advertiser_value_transforms.manipulation). */
export const manipulationSchema = z.discriminatedUnion("operation", [
  z
    .object({
      operation: z.literal("concatenate"),
      /** Fields appended after originalFieldName, in order; empty values are skipped. */
      fields: z.array(fieldName).min(1).max(10),
      separator: z.string().max(20).default(" "),
    })
    .strict(),
  z
    .object({
      operation: z.literal("replace"),
      pattern: z.string().min(1),
      replacement: z.string().max(500).default(""),
      flags: z.string().regex(REGEX_FLAGS, "Flags are any of g, i, m, s, u, each at most once.").default("g"),
    })
    .strict()
    .superRefine((m, ctx) => {
      const reason = unsafeRegexReason(m.pattern, m.flags);
      if (reason) ctx.addIssue({ code: "custom", path: ["pattern"], message: reason });
    }),
  z.object({ operation: z.literal("case"), case: z.enum(["lower", "upper", "title"]) }).strict(),
  z
    .object({
      operation: z.literal("hash"),
      algorithm: z.enum(["sha256", "sha1", "md5"]),
      /** Trim and lower-case before hashing (how ad platforms match hashed emails). */
      normalise: z.boolean().default(true),
    })
    .strict(),
]);
export type Manipulation = z.infer<typeof manipulationSchema>;

const DIGESTS = new Map([
  ["sha256", "SHA-256"],
  ["sha1", "SHA-1"],
  // workerd's WebCrypto offers MD5 (non-standard) for compatibility with such uses.
  ["md5", "MD5"],
]);

async function hash(value: string, algorithm: string): Promise<string> {
  const digest = await crypto.subtle.digest(DIGESTS.get(algorithm)!, new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const titleCase = (s: string) => s.toLowerCase().replace(/(^|[\s\-'])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase());

type Values = Record<string, string>;

/** A rule's result, or why it wrote nothing (warn: a reason worth a warning in the run's log). */
type Computed = { value: string } | { skip: string; warn?: boolean };

/** A Manipulation's result, or why it wrote nothing. */
export async function manipulate(m: Manipulation, original: string, values: Values): Promise<Computed> {
  const input = Object.hasOwn(values, original) ? values[original]! : "";
  if (m.operation === "concatenate") {
    const parts = [original, ...m.fields].map((f) => (Object.hasOwn(values, f) ? values[f]!.trim() : "")).filter((v) => v !== "");
    return parts.length ? { value: parts.join(m.separator) } : { skip: "the fields are empty" };
  }
  if (input === "") return { skip: `"${original}" is empty` };
  switch (m.operation) {
    case "replace":
      if (input.length > MAX_REGEX_INPUT) return { skip: `"${original}" is longer than ${MAX_REGEX_INPUT} characters, the most a pattern runs on`, warn: true };
      return { value: input.replace(new RegExp(m.pattern, m.flags), m.replacement) };
    case "case":
      return { value: m.case === "lower" ? input.toLowerCase() : m.case === "upper" ? input.toUpperCase() : titleCase(input) };
    case "hash":
      return { value: await hash(m.normalise ? input.trim().toLowerCase() : input, m.algorithm) };
  }
}

// ---------------------------------------------------------------- the Processr's side

interface RuleRow {
  campaign_id: number;
  id: number;
  label: string;
  type: "Transform" | "Manipulation";
  original_field_name: string;
  new_field_name: string;
  manipulation: string | null;
}

/** What the rules of one lead's run need: its campaign's rules, its value-table matches, its earlier results. */
export interface LeadValueTransforms {
  rules: RuleRow[];
  /** Transform id → the new value its table gives for the lead's captured value. */
  matches: Map<number, string>;
  /**
   * Transform id → its whole value table (by tableKey of the original value), for Transforms keyed
   * on a platform value: that value is computed, not a lead_datas row the match query could join.
   */
  platformTables: Map<number, Map<string, string>>;
  /** The lead's earlier results by field name. */
  previous: Map<string, string>;
}

/** SQLite's lower(trim(v)), on which a value table's unique index and its match query compare: spaces, ASCII case. */
const tableKey = (value: string) => value.replace(/^ +| +$/g, "").replace(/[A-Z]/g, (c) => c.toLowerCase());

const PLATFORM_NAMES_SQL = PLATFORM_DATA_NAMES.map((n) => `'${n}'`).join(", ");

/**
 * The four reads loadLeads adds to its batch (leads `?1`…`?n`): the rules of the leads' campaigns
 * that use value transforms, the value-table rows matching the leads' captured values (through
 * the table's unique index on the trimmed, lower-cased original value: CROSS JOIN makes SQLite
 * read the lead's value first, since the planner otherwise puts the view's json_each of the lead's
 * row last and reads every row of the value table per lead), the earlier results, and
 * the whole value tables of Transforms keyed on a platform value (matched in the run; their
 * size is what such a table costs each queue batch). On campaigns without value transforms
 * they find nothing.
 */
export function valueTransformReads(db: D1Database, ids: readonly number[]): D1PreparedStatement[] {
  const list = ids.map((_, i) => `?${i + 1}`).join(", ");
  const using = `SELECT l.id FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id IN (${list}) AND c.use_value_transforms = 1`;
  return [
    db.prepare(
      `SELECT c.id AS campaign_id, t.id, t.label, t.type, t.original_field_name, t.new_field_name, t.manipulation
         FROM campaigns c JOIN advertiser_value_transforms t ON t.advertiser_id = c.advertiser_id AND t.enabled = 1
        WHERE c.use_value_transforms = 1 AND c.id IN (SELECT campaign_id FROM leads WHERE id IN (${list}))
        ORDER BY c.id, t.position, t.id`,
    ).bind(...ids),
    db.prepare(
      `SELECT l.id AS lead_id, v.advertiser_value_transform_id AS transform_id, v.new_value
         FROM leads l
         JOIN campaigns c ON c.id = l.campaign_id AND c.use_value_transforms = 1
         JOIN advertiser_value_transforms t ON t.advertiser_id = c.advertiser_id AND t.enabled = 1 AND t.type = 'Transform'
         JOIN lead_datas d ON d.lead_id = l.id AND d.name = t.original_field_name AND d.type = 'core.data'
         CROSS JOIN advertiser_value_transform_values v
           ON v.advertiser_value_transform_id = t.id AND lower(trim(v.original_value)) = lower(trim(d.value))
        WHERE l.id IN (${list})`,
    ).bind(...ids),
    db.prepare(
      `SELECT lead_id, name, value FROM lead_datas WHERE lead_id IN (${using}) AND type = '${VALUE_TRANSFORM_DATA_TYPE}'`,
    ).bind(...ids),
    db.prepare(
      `SELECT v.advertiser_value_transform_id AS transform_id, v.original_value, v.new_value
         FROM advertiser_value_transforms t JOIN advertiser_value_transform_values v ON v.advertiser_value_transform_id = t.id
        WHERE t.enabled = 1 AND t.type = 'Transform' AND t.original_field_name IN (${PLATFORM_NAMES_SQL})
          AND t.advertiser_id IN (SELECT c.advertiser_id FROM campaigns c
                                   WHERE c.use_value_transforms = 1 AND c.id IN (SELECT campaign_id FROM leads WHERE id IN (${list})))`,
    ).bind(...ids),
  ];
}

/** Groups the results of valueTransformReads by lead; undefined for a lead whose campaign has no rule. */
export function valueTransformsByLead(results: D1Result[]): (leadId: number, campaignId: number) => LeadValueTransforms | undefined {
  const [rulesRes, matchesRes, previousRes, tablesRes] = results as [
    D1Result<RuleRow>,
    D1Result<{ lead_id: number; transform_id: number; new_value: string }>,
    D1Result<{ lead_id: number; name: string; value: string }>,
    D1Result<{ transform_id: number; original_value: string; new_value: string }>,
  ];
  const rules = new Map<number, RuleRow[]>();
  for (const r of rulesRes.results) rules.set(r.campaign_id, [...(rules.get(r.campaign_id) ?? []), r]);
  const matches = new Map<number, Map<number, string>>();
  for (const m of matchesRes.results) matches.set(m.lead_id, (matches.get(m.lead_id) ?? new Map()).set(m.transform_id, m.new_value));
  const previous = new Map<number, Map<string, string>>();
  for (const p of previousRes.results) previous.set(p.lead_id, (previous.get(p.lead_id) ?? new Map()).set(p.name, p.value));
  const platformTables = new Map<number, Map<string, string>>();
  for (const v of tablesRes.results) {
    platformTables.set(v.transform_id, (platformTables.get(v.transform_id) ?? new Map()).set(tableKey(v.original_value), v.new_value));
  }
  return (leadId, campaignId) => {
    const own = rules.get(campaignId);
    if (!own) return undefined;
    return { rules: own, matches: matches.get(leadId) ?? new Map(), previous: previous.get(leadId) ?? new Map(), platformTables };
  };
}

/** How a Transform rule went on a lead (the value_transforms job reads it). */
export interface TransformMatch {
  label: string;
  field: string;
  /** The lead's value of the field ("" when it has none). */
  value: string;
  matched: boolean;
}

export interface AppliedTransforms {
  /** The values the QA jobs see: the captured ones and the rules' results. */
  values: Values;
  /** Each enabled Transform rule of the lead's campaign, by rule id. */
  transforms: Map<number, TransformMatch>;
  /** Lead data and note writes, for the run's write batch. */
  statements: D1PreparedStatement[];
  /** Rules that could not write (for the run's log, level warning). */
  warnings: string[];
}

/** Applies a lead's rules (see the top of this file); with none, the values are returned as they are. */
export async function applyValueTransforms(
  db: D1Database,
  leadId: number,
  captured: Values,
  t: LeadValueTransforms | undefined,
  now: number,
  platform: Readonly<Record<string, string>> = {},
): Promise<AppliedTransforms> {
  const transforms = new Map<number, TransformMatch>();
  if (!t) return { values: captured, transforms, statements: [], warnings: [] };
  const owned = new Set(t.rules.map((r) => r.new_field_name));
  // Null prototype: the names are the publisher's and the admin's ("constructor" included).
  // The rules' earlier results are left out: each rule computes its own again.
  const values: Values = Object.create(null);
  for (const [name, value] of Object.entries(captured)) if (!(owned.has(name) && t.previous.has(name))) values[name] = value;
  // What the rules read: the platform values under the names the lead did not capture, then
  // the values and each rule's result as it is computed.
  const readable: Values = Object.create(null);
  for (const name of PLATFORM_DATA_NAMES) if (Object.hasOwn(platform, name) && !Object.hasOwn(values, name)) readable[name] = platform[name]!;
  Object.assign(readable, values);
  const statements: D1PreparedStatement[] = [];
  const warnings: string[] = [];
  const written: [string, string][] = [];
  const note = (text: string) =>
    db.prepare(`INSERT INTO lead_notes (lead_id, author, note, created_ts) VALUES (?1, 'processr', ?2, ?3)`).bind(leadId, text, now);
  for (const rule of t.rules) {
    const name = rule.new_field_name;
    const said = `Value transform ${JSON.stringify(rule.label)}`;
    if (Object.hasOwn(values, name)) {
      warnings.push(`${said} wrote nothing: the lead already has a value named "${name}", which a transform never replaces.`);
      continue;
    }
    const out = await compute(rule, t, readable, !Object.hasOwn(values, rule.original_field_name));
    if (rule.type === "Transform") {
      const field = rule.original_field_name;
      transforms.set(rule.id, { label: rule.label, field, value: Object.hasOwn(readable, field) ? readable[field]! : "", matched: "value" in out });
    }
    const before = t.previous.get(name);
    if ("value" in out) {
      values[name] = out.value;
      readable[name] = out.value;
      if (before === out.value) continue;
      written.push([name, out.value]);
      statements.push(
        note(
          before === undefined
            ? `${said} set "${name}" to "${out.value}" from "${rule.original_field_name}".`
            : `${said} changed "${name}" from "${before}" to "${out.value}".`,
        ),
      );
    } else if (before !== undefined) {
      statements.push(
        db.prepare(`DELETE FROM lead_datas WHERE lead_id = ?1 AND name = ?2 AND type = '${VALUE_TRANSFORM_DATA_TYPE}'`).bind(leadId, name),
        note(`${said} removed "${name}" (was "${before}"): ${out.skip}.`),
      );
    } else if (out.warn) {
      warnings.push(`${said} wrote nothing: ${out.skip}.`);
    }
  }
  // The new and changed values in one rewrite of the lead's row. Only a value of the
  // transform's own type is overwritten: one of that name written meanwhile by someone else (a
  // captured or edited value) stays as it is.
  if (written.length > 0) statements.unshift(...setLeadValues(db, leadId, written, VALUE_TRANSFORM_DATA_TYPE, now));
  return { values, transforms, statements, warnings };
}

/** A rule's result; notCaptured: the lead has no captured value of the rule's original field. */
async function compute(rule: RuleRow, t: LeadValueTransforms, values: Values, notCaptured: boolean): Promise<Computed> {
  if (rule.type === "Transform") {
    const original = rule.original_field_name;
    // A captured value was matched by the match query; a platform value is matched here.
    const table = t.platformTables.get(rule.id);
    const value =
      table && notCaptured && Object.hasOwn(values, original) ? table.get(tableKey(values[original]!)) : t.matches.get(rule.id);
    return value === undefined ? { skip: `the value of "${rule.original_field_name}" is not in its value table` } : { value };
  }
  let raw: unknown = null;
  try {
    raw = JSON.parse(rule.manipulation ?? "null");
  } catch {
    // Reported below as invalid settings.
  }
  const m = manipulationSchema.safeParse(raw);
  // The API validates what it stores; a row written another way is reported, not run.
  if (!m.success) return { skip: "its manipulation settings are not valid", warn: true };
  return manipulate(m.data, rule.original_field_name, values);
}
