import type { JobResultStatus } from "../db/schema";
import { type ProcessrTrail, type TrailJobResult, trailJobResults } from "../processr/trail";

// The archive's files (docs/storage.md): leads/campaign=<id>/month=<YYYY-MM>/batch-<id>.ndjson.gz
// in the ARCHIVE bucket, gzip, one JSON object per line and lead: a few columns to filter on
// (Hive-style partitions make campaign and month columns too), and `rows`, every D1 row the lead
// had, table by table, exactly as D1 returned it, so a restore writes back the same rows.

/**
 * The tables a lead's rows live in, parents first (a restore inserts in this order, the archive
 * deletes in the reverse), with the column naming the lead.
 */
export const LEAD_TABLES = [
  ["leads", "id"],
  // The ids of values added after capture (the values themselves are on the lead's row, leads.data).
  ["lead_data_ids", "lead_id"],
  ["lead_notes", "lead_id"],
  ["lead_events", "lead_id"],
  ["sync_subscriptions", "lead_id"],
  ["webhook_deliveries", "lead_id"],
  ["integration_deliveries", "lead_id"],
  ["idempotency_keys", "lead_id"],
  // Log lines and job results themselves (a Processr run's trail is one log_lines row).
  ["log_lines", "lead_id"],
  ["job_results", "lead_id"],
] as const;

export type LeadTable = (typeof LEAD_TABLES)[number][0];

/** What a table's rows are read in order of and deleted by: the rowid, or the id of lead_notes, a view (over lead_note_rows) that has none. */
export const rowKey = (table: LeadTable): string => (table === "lead_notes" ? "id" : "rowid");

/**
 * Tables whose rows stay in D1 when their lead is archived, unlinked from it (the lead column set
 * to null), with their key: a capture retried with an idempotency key the archived lead was taken
 * with still answers with that lead, never a second one. The file carries them too, and a
 * restore links them again.
 */
export const KEPT_IN_D1 = new Map<LeadTable, string>([["idempotency_keys", "key"]]);
export type Row = Record<string, unknown>;

export interface ArchivedLead {
  id: number;
  lead_hash: string;
  email: string | null;
  campaign_id: number;
  publisher_id: number;
  flag: string | null;
  created_ts: number;
  /**
   * Every D1 row the lead had, by table, and `lead_datas`: every value of the lead as the view
   * lead_datas shows it, for readers of the file. A file written before values moved onto the
   * lead's row has no `lead_data_ids`: its `lead_datas` are the rows of the table of that name.
   */
  rows: Record<LeadTable, Row[]> & { lead_datas: Row[] };
}

/**
 * What a restore inserts for `table`: the file's rows of it; for a file written before values
 * moved onto the lead's row, its lead_datas rows through the view (each value keeps its id).
 */
export const restoreRows = (lead: ArchivedLead, table: LeadTable): { into: string; rows: Row[] } =>
  table === "lead_data_ids" && !lead.rows.lead_data_ids ? { into: "lead_datas", rows: lead.rows.lead_datas } : { into: table, rows: lead.rows[table] };

/**
 * An archived lead's job results, as the processr_job_leads view shows a lead in D1: its rows of
 * job_results, and the QA results of its latest run's trail less those a reprocess cleared; by id.
 */
export function jobResultsOf(lead: ArchivedLead): TrailJobResult[] {
  const own = lead.rows.job_results.map((r) => ({
    id: r.id as number, jobId: r.campaign_processr_job_id as number, status: r.status as JobResultStatus, score: r.score as number,
    message: r.message as string, detail: r.detail as string | null, startedTs: r.started_ts as number, finishedTs: r.finished_ts as number,
  }));
  const latest = lead.rows.log_lines.filter((r) => r.trail !== null).reduce<Row | null>((a, r) => (a && (a.id as number) > (r.id as number) ? a : r), null);
  const fromTrail = latest ? trailJobResults(latest.id as number, latest.created_ts as number, JSON.parse(latest.trail as string) as ProcessrTrail) : [];
  return [...own, ...fromTrail].sort((a, b) => a.id - b.id);
}

export const monthOf = (ts: number) => new Date(ts).toISOString().slice(0, 7);

export const archiveKey = (b: { id: number; campaignId: number; month: string }) =>
  `leads/campaign=${b.campaignId}/month=${b.month}/batch-${b.id}.ndjson.gz`;

export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function gunzip(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const encodeLeads = (leads: ArchivedLead[]) => leads.map((l) => JSON.stringify(l)).join("\n") + "\n";

export const decodeLeads = (text: string): ArchivedLead[] =>
  text.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as ArchivedLead);
