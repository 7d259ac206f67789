import { z } from "zod";
import { restoreArchivedForErasure } from "../archive/erasure";
import type { Env } from "../env";

// GDPR erasure: an email added to an erasure list (a validation list with erasure: true) has that
// person's leads' personal values removed, in bounded batches. What goes:
// - the lead's personal columns (email, names, telephone, postcode, address lines, ip, user agent);
// - every captured value (lead_datas of type core.data become "[erased]");
// - those values wherever the platform quoted them: job results (message and admin detail), logs
//   (message and the strings of their JSON context and trail), lead notes, sync events, delivery answers.
// What stays: ids, the lead hash, flags, scores, billability, payouts, dates, the campaign,
// publisher and form, and so every statistic. Each erased lead gets a note saying so.
//
// A lead is found by its stored email (leads.email, normalised at capture), live or deleted. Once
// erased it has no email, so a batch run again (a redelivered message, the same email added
// again) finds nothing more to do and writes nothing: erasure is idempotent.
//
// Future captures of an erased email are not refused at capture (the publisher would learn the
// person's request): the validation_list_check job checks erasure lists like any email list, so
// a campaign running it fails (or hardfails) such a lead, and the lead is never delivered.

export const ERASED = "[erased]";
/** Leads erased per D1 batch (one queue message or one request does one such batch). */
export const ERASE_BATCH = 25;
/** Emails per queue message of an erasure request (a CSV import queues many). */
export const ERASURE_EMAILS_PER_MESSAGE = 50;

export const erasureMessage = z.object({
  type: z.literal("erasure"),
  listId: z.number().int().positive(),
  emails: z.array(z.string().min(3).max(320)).min(1).max(ERASURE_EMAILS_PER_MESSAGE),
  userId: z.number().int().positive().nullable(),
  author: z.string().min(1).max(255),
});
export type ErasureRequest = z.infer<typeof erasureMessage>;

export interface ErasureProgress {
  erased: number;
  /** More leads of these emails remain (the caller queues the request again). */
  more: boolean;
}

/** One batch of one store's erasure. */
type ErasureStep = (env: Env, req: ErasureRequest) => Promise<ErasureProgress>;

const PERSONAL_COLUMNS = [
  "email",
  "first_name",
  "last_name",
  "telephone",
  "postcode",
  "address_line1",
  "address_line2",
  "address_line3",
  "address_line4",
  "ip",
  "user_agent",
] as const;

/**
 * Free-text columns that may quote a lead's values, by table (all keyed by id, filtered by
 * lead_id). A Processr run's job results and log lines are one log_lines row with a JSON trail
 * (src/processr/trail.ts); job_results holds results from before the trail.
 */
const QUOTING: { table: string; text: string[]; json: string[] }[] = [
  { table: "job_results", text: ["message", "detail"], json: [] },
  { table: "log_lines", text: ["message"], json: ["context", "trail"] },
  { table: "lead_notes", text: ["note", "reason"], json: [] },
  { table: "lead_events", text: [], json: ["payload"] },
  { table: "integration_deliveries", text: ["response_value", "last_error"], json: [] },
];

// Values too plain to identify anyone, and which would mangle the texts they appear in ("true" in
// a JSON context, "40" in "Score 40/40"): booleans and short numbers are left in the quoting texts
// (the captured values themselves are erased all the same).
const PLAIN = /^(?:true|false|yes|no|on|off|null|\d{1,5})$/i;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A matcher of a lead's personal values as whole words (case-insensitive), or null when it has none. */
export function personalValuesPattern(values: Iterable<string | null>): RegExp | null {
  const forms = new Set<string>();
  for (const raw of values) {
    const v = raw?.trim();
    if (!v || v.length < 3 || PLAIN.test(v)) continue;
    forms.add(v);
    // As a delivery sent it in a URL or a form body ("hedy%40example.org", "Ada+Lovelace").
    const encoded = encodeURIComponent(v);
    if (encoded !== v) forms.add(encoded).add(encoded.replace(/%20/g, "+"));
    // Job messages shorten long values to 59 characters and an ellipsis (src/processr/jobs/lib/outcome.ts).
    if ([...v].length > 60) forms.add(`${[...v].slice(0, 59).join("")}…`);
  }
  if (forms.size === 0) return null;
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escape).join("|");
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})(?![\\p{L}\\p{N}])`, "giu");
}

const redactText = (s: string | null, re: RegExp) => (s === null ? null : s.replace(re, ERASED));

/** The strings inside a JSON text redacted (its structure kept); text that is not JSON as text. */
function redactJson(s: string | null, re: RegExp): string | null {
  if (s === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return redactText(s, re);
  }
  const walk = (v: unknown): unknown =>
    typeof v === "string"
      ? v.replace(re, ERASED)
      : Array.isArray(v)
        ? v.map(walk)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  return JSON.stringify(walk(parsed));
}

type Row = Record<string, string | number | null>;

/**
 * Erases, in D1, at most ERASE_BATCH leads whose email is one of req.emails: one D1 batch reads
 * them (with everything that may quote them), one D1 batch (a transaction) writes the redaction
 * and the notes.
 */
export async function eraseLeadsInD1(env: Env, req: ErasureRequest): Promise<ErasureProgress> {
  const db = env.DB;
  const emails = JSON.stringify(req.emails);
  // Live leads through the email index (it covers live leads only), then deleted ones.
  const [live, deleted] = await db.batch<{ id: number }>([
    db.prepare(`SELECT id FROM leads WHERE lower(email) IN (SELECT value FROM json_each(?1)) AND deleted_ts IS NULL ORDER BY id LIMIT ?2`)
      .bind(emails, ERASE_BATCH + 1),
    db.prepare(`SELECT id FROM leads WHERE deleted_ts IS NOT NULL AND lower(email) IN (SELECT value FROM json_each(?1)) ORDER BY id LIMIT ?2`)
      .bind(emails, ERASE_BATCH + 1),
  ]);
  const found = [...live!.results, ...deleted!.results].map((r) => r.id);
  const ids = found.slice(0, ERASE_BATCH);
  if (ids.length === 0) return { erased: 0, more: false };
  const idList = JSON.stringify(ids);
  const inIds = `(SELECT value FROM json_each(?1))`;

  const [leadRes, dataRes, listRes, ...quotingRes] = await db.batch<Row>([
    db.prepare(`SELECT id, ${PERSONAL_COLUMNS.join(", ")} FROM leads WHERE id IN ${inIds}`).bind(idList),
    db.prepare(`SELECT lead_id, value FROM lead_datas WHERE lead_id IN ${inIds} AND type <> 'system'`).bind(idList),
    db.prepare(`SELECT name FROM validation_lists WHERE id = ?1`).bind(req.listId),
    ...QUOTING.map((t) => db.prepare(`SELECT id, lead_id, ${[...t.text, ...t.json].join(", ")} FROM ${t.table} WHERE lead_id IN ${inIds}`).bind(idList)),
  ]);
  const valuesOf = new Map<number, (string | null)[]>();
  for (const l of leadRes!.results) valuesOf.set(l.id as number, PERSONAL_COLUMNS.map((c) => l[c] as string | null));
  for (const d of dataRes!.results) valuesOf.get(d.lead_id as number)?.push(d.value as string);
  const patterns = new Map([...valuesOf].map(([id, values]) => [id, personalValuesPattern(values)]));

  const now = Date.now();
  const writes: D1PreparedStatement[] = [
    db.prepare(`UPDATE leads SET ${PERSONAL_COLUMNS.map((c) => `${c} = NULL`).join(", ")}, updated_ts = ?2 WHERE id IN ${inIds}`)
      .bind(idList, now),
    db.prepare(`UPDATE lead_datas SET value = ?2, updated_ts = ?3 WHERE lead_id IN ${inIds} AND type <> 'system' AND value <> ''`)
      .bind(idList, ERASED, now),
  ];
  QUOTING.forEach((t, i) => {
    for (const row of quotingRes[i]!.results) {
      const re = patterns.get(row.lead_id as number);
      if (!re) continue;
      const cols = [...t.text, ...t.json];
      const next = cols.map((c) => (t.json.includes(c) ? redactJson : redactText)(row[c] as string | null, re));
      if (next.every((v, j) => v === row[cols[j]!])) continue;
      writes.push(db.prepare(`UPDATE ${t.table} SET ${cols.map((c, j) => `${c} = ?${j + 2}`).join(", ")} WHERE id = ?1`).bind(row.id, ...next));
    }
  });
  const listName = (listRes!.results[0]?.name as string | undefined) ?? `#${req.listId}`;
  const note =
    `Personal data erased: the lead's email is on the erasure list "${listName}" (/api/v4/validation-lists/${req.listId}). ` +
    "Its captured values and personal fields were removed; its ids, flags and statistics are kept.";
  writes.push(
    db.prepare(
      `INSERT INTO lead_notes (lead_id, user_id, author, note, created_ts) SELECT value, ?2, ?3, ?4, ?5 FROM json_each(?1)`,
    ).bind(idList, req.userId, req.author, note, now),
  );
  await db.batch(writes);
  return { erased: ids.length, more: found.length > ERASE_BATCH };
}

/**
 * The stores that hold leads, each erasing one batch of a request in turn: the archive first (it
 * restores the person's archived leads to D1, src/archive/erasure.ts), then D1.
 */
const ERASURE_STEPS: ErasureStep[] = [restoreArchivedForErasure, eraseLeadsInD1];

/**
 * Erases the leads of a person (their emails), one batch per store; when more remain, the request
 * goes on the bulk queue again (the queue handler calls this for each message).
 */
export async function eraseEmails(env: Env, req: ErasureRequest): Promise<ErasureProgress> {
  let erased = 0;
  let more = false;
  for (const step of ERASURE_STEPS) {
    const r = await step(env, req);
    erased += r.erased;
    more ||= r.more;
  }
  if (more) await env.BULK_QUEUE.send(req);
  return { erased, more };
}

/** Queues the erasure of many emails (an imported erasure list), ERASURE_EMAILS_PER_MESSAGE per message. */
export async function queueErasure(env: Env, base: Omit<ErasureRequest, "emails" | "type">, emails: readonly string[]): Promise<void> {
  const messages: { body: ErasureRequest }[] = [];
  for (let i = 0; i < emails.length; i += ERASURE_EMAILS_PER_MESSAGE) {
    messages.push({ body: { type: "erasure", ...base, emails: emails.slice(i, i + ERASURE_EMAILS_PER_MESSAGE) } });
  }
  // sendBatch takes at most 100 messages.
  for (let i = 0; i < messages.length; i += 100) await env.BULK_QUEUE.sendBatch(messages.slice(i, i + 100));
}
