import type { LeadFlag } from "../db/schema";
import { BUCKETS, bucketColumn, CHRONOLOGY_BUCKETS, type Delta } from "./statistics";

// A lead object's decision as data (LeadWrite) and the statements that apply it. The object
// decides; these statements apply a decision only while the lead is still in the state it was
// decided from (its guard), so a decision can be committed outside the object's lock: by the
// object itself, or by the Processr consumer together with every other lead of its queue batch in
// one D1 batch. A write whose lead changed meanwhile applies nothing at all (its lead row, note,
// event, callbacks and statistics are all guarded by the same condition) and its caller decides
// again from a fresh read; a write committed once cannot apply a second time, because every
// transition changes the guarded state.
//
// The statements take the whole list of writes as one JSON parameter and apply them together:
// the statistics and chronology deltas of a batch are summed into one upsert per campaign and per
// (campaign, day) row, notes, events and callbacks go in one INSERT each, and the lead rows in one
// UPDATE, which runs last (until then every statement sees the guarded rows as they were).

/** What a decision was made from: the write applies only while the lead is still so. */
export interface LeadGuard {
  updatedTs: number;
  flag: LeadFlag | null;
  processrStatus: number;
  /** The highest active sync subscription id then (0: none); a newer one would miss the event. */
  maxSubscriptionId: number;
}

/** The lead columns a decision may set. */
export const LEAD_WRITE_COLUMNS = [
  "flag", "advertiser_billable", "publisher_billable", "advertiser_payout", "publisher_payout", "updated_ts",
  "deleted_ts", "qa_result", "score", "max_score", "hardfail", "processr_status", "processing_counter",
] as const;
export type LeadWriteColumn = (typeof LEAD_WRITE_COLUMNS)[number];

export interface LeadWrite {
  leadId: number;
  campaignId: number;
  publisherId: number;
  /** UTC day of the lead's capture: its chronology row. */
  day: string;
  guard: LeadGuard;
  set: Partial<Record<LeadWriteColumn, string | number | null>>;
  /** Statistics buckets and totalSales (cents) moved by the change. */
  delta: Delta;
  /** Places in the publisher's allocation taken (+1) or given back (-1). */
  allocation: number;
  note: { userId: number | null; author: string; note: string; fromFlag: LeadFlag | null; toFlag: string | null; reason: string | null } | null;
  /** The lead event (lead_events.payload, serialised); one callback per active subscription. */
  event: { type: string; payload: string } | null;
  /** updated_ts and every row's created_ts. */
  now: number;
}

const at = (v: string, path: string) => `json_extract(${v}, '$.${path}')`;

/**
 * SQL: lead row `l` is still in the state a guard was taken from: the JSON expression `v`, or its
 * member `path` (each field read by its full path, without extracting the guard first).
 */
export function unchangedSql(l: string, v: string, path?: string): string {
  const g = (key: string) => at(v, path ? `${path}.${key}` : key);
  return `${l}.updated_ts = ${g("updatedTs")} AND ${l}.flag IS ${g("flag")} AND ${l}.processr_status = ${g("processrStatus")}
    AND ${l}.deleted_ts IS NULL
    AND NOT EXISTS (SELECT 1 FROM sync_subscriptions s WHERE s.lead_id = ${l}.id AND s.disabled_ts IS NULL AND s.id > ${g("maxSubscriptionId")})`;
}

/** The writes (JSON in ?1) whose lead is still as guarded: `ok(v, id)`. */
const OK = `WITH ok(v, id) AS (
  SELECT w.value, l.id FROM json_each(?1) w JOIN leads l ON l.id = ${at("w.value", "leadId")}
   WHERE ${unchangedSql("l", "w.value", "guard")})`;

/**
 * A row's summed deltas, upserted; a row whose sums are all zero is left alone (HAVING on the same
 * sum() as the values, which SQLite computes once: a second set of sum(abs()) doubled the JSON reads).
 */
function upsert(table: string, keys: [string, string][], cols: [string, string][]): string {
  return `${OK} INSERT INTO ${table} (${[...keys, ...cols].map(([c]) => c).join(", ")})
    SELECT ${keys.map(([, e]) => e).join(", ")}, ${cols.map(([, e]) => `sum(${e})`).join(", ")} FROM ok WHERE true
     GROUP BY ${keys.map(([, e]) => e).join(", ")}
    HAVING ${cols.map(([, e]) => `sum(${e}) <> 0`).join(" OR ")}
    ON CONFLICT (${keys.map(([c]) => c).join(", ")}) DO UPDATE SET ${cols.map(([c]) => `${c} = ${c} + excluded.${c}`).join(", ")}`;
}

const STATISTICS_SQL = upsert(
  "campaign_statistics",
  [["campaign_id", at("v", "campaignId")]],
  [...BUCKETS.map((b): [string, string] => [bucketColumn(b), at("v", `delta.${b}`)]), ["total_sales_cents", `coalesce(${at("v", "delta.salesCents")}, 0)`]],
);
const CHRONOLOGY_SQL = upsert(
  "lead_statistics_chronologies",
  [["campaign_id", at("v", "campaignId")], ["day", at("v", "day")]],
  CHRONOLOGY_BUCKETS.map((b): [string, string] => [bucketColumn(b), at("v", `delta.${b}`)]),
);
const ALLOCATION_SQL = `${OK} UPDATE campaign_publishers
    SET reserved_leads = reserved_leads + (SELECT sum(${at("v", "allocation")}) FROM ok
      WHERE ${at("v", "campaignId")} = campaign_publishers.campaign_id AND ${at("v", "publisherId")} = campaign_publishers.publisher_id)
  WHERE EXISTS (SELECT 1 FROM ok WHERE ${at("v", "allocation")} <> 0
      AND ${at("v", "campaignId")} = campaign_publishers.campaign_id AND ${at("v", "publisherId")} = campaign_publishers.publisher_id)`;
const NOTES_SQL = `${OK} INSERT INTO lead_notes (lead_id, user_id, author, note, from_flag, to_flag, reason, created_ts)
  SELECT id, ${["userId", "author", "note", "fromFlag", "toFlag", "reason"].map((k) => at("v", `note.${k}`)).join(", ")}, ${at("v", "now")}
    FROM ok WHERE json_type(v, '$.note') = 'object' ORDER BY id`;
// An event whose flag, previous flag and reason are those of the note this write just inserted
// (its lead's latest, created now) stores that note's id instead of them (sync-callbacks.ts
// StoredEventPayload): a status change's reason was stored twice (issue 18).
const EVENTS_SQL = `${OK} INSERT INTO lead_events (lead_id, type, payload, created_ts)
  SELECT id, ${at("v", "event.type")},
         coalesce((SELECT json_object('n', n.id) FROM lead_note_rows n
                    WHERE n.id = (SELECT max(m.id) FROM lead_note_rows m WHERE m.lead_id = ok.id) AND n.created_ts = ${at("v", "now")}
                      AND n.to_flag IS (${at("v", "event.payload")} ->> '$.flag') AND n.from_flag IS (${at("v", "event.payload")} ->> '$.previousFlag')
                      AND n.reason IS (${at("v", "event.payload")} ->> '$.reason')),
                  ${at("v", "event.payload")}),
         ${at("v", "now")} FROM ok WHERE json_type(v, '$.event') = 'object' ORDER BY id`;
// One pending callback per active subscription, for the event just inserted (the lead's latest);
// the delivery id has the shape of the sender's ids (msg_ and 32 hex digits).
const DELIVERIES_SQL = `${OK} INSERT INTO webhook_deliveries (id, event_id, subscription_id, lead_id, status, attempts, next_attempt_ts, created_ts)
  SELECT 'msg_' || lower(hex(randomblob(16))), (SELECT max(e.id) FROM lead_events e WHERE e.lead_id = ok.id), s.id, ok.id, 'pending', 0,
         ${at("ok.v", "now")}, ${at("ok.v", "now")}
    FROM ok JOIN sync_subscriptions s ON s.lead_id = ok.id AND s.disabled_ts IS NULL
   WHERE json_type(ok.v, '$.event') = 'object' ORDER BY ok.id, s.id`;
// By SET list; the column sets come from the code's decisions (a handful), not from input.
const LEADS_SQL = new Map<string, string>();

/**
 * The lead rows' UPDATE for these writes: a column every write sets takes its value, a column only
 * some set keeps its value where a write leaves it out (tested per row), and a column none sets is
 * not written (a Processr batch sets the same 12 columns on every lead: half the JSON lookups of
 * testing all 13 on each). Its texts are few (one per set of columns), and cached.
 */
function leadsSql(writes: readonly LeadWrite[]): string {
  const sets = (c: LeadWriteColumn) => writes.filter((w) => w.set[c] !== undefined).length;
  const assignments = LEAD_WRITE_COLUMNS.flatMap((c) => {
    const n = sets(c);
    if (n === 0) return [];
    const value = at("w.value", `set.${c}`);
    return [n === writes.length ? `${c} = ${value}` : `${c} = CASE WHEN json_type(w.value, '$.set.${c}') IS NULL THEN ${c} ELSE ${value} END`];
  });
  // A write that sets nothing still applies (its guard, its other statements): id = id.
  const set = assignments.length > 0 ? assignments.join(", ") : "id = id";
  let sql = LEADS_SQL.get(set);
  if (sql === undefined) {
    sql = `UPDATE leads SET ${set}
  FROM json_each(?1) w WHERE leads.id = ${at("w.value", "leadId")} AND ${unchangedSql("leads", "w.value", "guard")}
  RETURNING id`;
    LEADS_SQL.set(set, sql);
  }
  return sql;
}

const moves = (w: LeadWrite, buckets: readonly (keyof LeadWrite["delta"])[]) => buckets.some((b) => (w.delta[b] ?? 0) !== 0);

type WriteKey = keyof LeadWrite;
/** What every statement reads of a write: its lead and guard (OK, leadsSql). */
const GUARDED: readonly WriteKey[] = ["leadId", "guard"];

/**
 * Each statement with the writes it has something to do for (it does nothing for the others) and
 * the members of a write its SQL reads: a statement none of the writes needs is left out of the
 * batch, and each one is bound the writes with only its members (SQLite parses every write's JSON
 * in each statement, and D1 carries each statement's parameter: the whole writes were 2.7 times as
 * many characters).
 */
const STATEMENTS: readonly [sql: string | ((writes: readonly LeadWrite[]) => string), needed: (w: LeadWrite) => boolean, keys: readonly WriteKey[]][] = [
  [STATISTICS_SQL, (w) => moves(w, [...BUCKETS, "salesCents"]), ["campaignId", "delta"]],
  [CHRONOLOGY_SQL, (w) => moves(w, CHRONOLOGY_BUCKETS), ["campaignId", "day", "delta"]],
  [ALLOCATION_SQL, (w) => w.allocation !== 0, ["campaignId", "publisherId", "allocation"]],
  [NOTES_SQL, (w) => w.note !== null, ["note", "now"]],
  [EVENTS_SQL, (w) => w.event !== null, ["event", "now"]],
  // No active subscription when decided, and none newer when applied (the guard): no callback.
  [DELIVERIES_SQL, (w) => w.event !== null && w.guard.maxSubscriptionId > 0, ["event", "now"]],
  [leadsSql, () => true, ["set"]],
];

/** The writes as one statement's JSON parameter: each with only the members that statement reads. */
const writesJson = (writes: readonly LeadWrite[], keys: readonly WriteKey[]) =>
  JSON.stringify(writes.map((w) => Object.fromEntries([...GUARDED, ...keys].map((k) => [k, w[k]]))));

/**
 * The statements applying these writes, in this order, those that none of them needs left out;
 * the last one (always there) returns the ids of the leads it changed, i.e. of the writes that
 * applied (appliedLeadIds). At most one write per lead: two decided from the same state would
 * both pass their guards until the lead row changes.
 */
export function leadWriteStatements(db: D1Database, writes: readonly LeadWrite[]): D1PreparedStatement[] {
  if (writes.length === 0) return [];
  if (new Set(writes.map((w) => w.leadId)).size < writes.length) throw new Error("at most one write per lead in one batch");
  return STATEMENTS.filter(([, needed]) => writes.some(needed)).map(([sql, , keys]) =>
    db.prepare(typeof sql === "string" ? sql : sql(writes)).bind(writesJson(writes, keys)),
  );
}

/** The leads whose writes applied, from the results of leadWriteStatements' statements (the last one). */
export function appliedLeadIds(results: readonly D1Result[]): Set<number> {
  return new Set((results.at(-1)?.results ?? []).map((r) => (r as { id: number }).id));
}
