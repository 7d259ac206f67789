import type { Env } from "../env";
import { putVerified } from "./archive-job";
import { type ArchivedLead, archiveKey, decodeLeads, gunzip, LEAD_TABLES } from "./format";

// Reading, restoring and erasing archived leads (src/archive/archive-job.ts writes them). A write
// to an archived lead (a validation webhook, a sync tag, a flag change) restores it to D1 first,
// exactly as it was, and then goes on as for any lead; the next archive run takes it again once
// it is past its window and settled.

type ArchiveEnv = Pick<Env, "DB" | "ARCHIVE">;

interface IndexRow {
  id: number;
  batchId: number;
  campaignId: number;
  month: string;
}

const INDEX_SELECT = `SELECT a.id, a.batch_id AS batchId, b.campaign_id AS campaignId, b.month
                        FROM archived_leads a JOIN archive_batches b ON b.id = a.batch_id`;

const keyOf = (r: IndexRow) => archiveKey({ id: r.batchId, campaignId: r.campaignId, month: r.month });

async function readFile(env: ArchiveEnv, key: string): Promise<ArchivedLead[]> {
  const object = await env.ARCHIVE.get(key);
  if (!object) throw new Error(`Archive file ${key} is missing.`);
  return decodeLeads(await gunzip(await object.arrayBuffer()));
}

/** An archived lead as it was in D1 (its rows), or null when the lead is not archived. */
export async function readArchivedLead(env: ArchiveEnv, leadId: number): Promise<ArchivedLead | null> {
  return (await readArchivedLeads(env, [leadId]))[0] ?? null;
}

/** Archived leads as they were in D1, in the order of `leadIds` (those not archived are left out). */
export async function readArchivedLeads(env: ArchiveEnv, leadIds: number[]): Promise<ArchivedLead[]> {
  const rows = (
    await env.DB.prepare(`${INDEX_SELECT} WHERE a.id IN (SELECT value FROM json_each(?1))`).bind(JSON.stringify(leadIds)).all<IndexRow>()
  ).results;
  const byId = new Map<number, ArchivedLead>();
  for (const key of new Set(rows.map(keyOf))) for (const l of await readFile(env, key)) byId.set(l.id, l);
  const indexed = new Set(rows.map((r) => r.id));
  return leadIds.flatMap((id) => (indexed.has(id) && byId.has(id) ? [byId.get(id)!] : []));
}

/** The id of the archived lead with this hash, or null. */
export async function archivedLeadIdByHash(db: D1Database, leadHash: string): Promise<number | null> {
  return (await db.prepare(`SELECT id FROM archived_leads WHERE lead_hash = ?1`).bind(leadHash).first<{ id: number }>())?.id ?? null;
}

/** Rewrites the files holding these leads without them (each read back and checked). */
async function dropFromFiles(env: ArchiveEnv, rows: IndexRow[]): Promise<void> {
  const byKey = new Map<string, Set<number>>();
  for (const r of rows) byKey.set(keyOf(r), (byKey.get(keyOf(r)) ?? new Set()).add(r.id));
  for (const [key, ids] of byKey) {
    const kept = (await readFile(env, key)).filter((l) => !ids.has(l.id));
    if (kept.length > 0) await putVerified(env.ARCHIVE, key, kept);
    else await env.ARCHIVE.delete(key);
  }
}

/**
 * Puts an archived lead back into D1 with the same rows (ids included) and removes it from its
 * archive file. False when the lead is not archived.
 */
export async function restoreArchivedLead(env: ArchiveEnv, leadId: number): Promise<boolean> {
  const row = await env.DB.prepare(`${INDEX_SELECT} WHERE a.id = ?1`).bind(leadId).first<IndexRow>();
  if (!row) return false;
  const lead = (await readFile(env, keyOf(row))).find((l) => l.id === leadId);
  if (!lead) throw new Error(`Archived lead ${leadId} is not in its archive file ${keyOf(row)}.`);
  const db = env.DB;
  try {
    // One transaction: the index row leaves as the rows come back.
    await db.batch([
      db.prepare(`DELETE FROM archived_leads WHERE id = ?1`).bind(leadId),
      ...LEAD_TABLES.flatMap(([table]) =>
        lead.rows[table].map((r) => {
          const columns = Object.keys(r);
          return db.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")})`)
            .bind(...columns.map((c) => r[c] ?? null));
        }),
      ),
    ]);
  } catch (e) {
    // A concurrent restore got there first (the lead's id is taken): it is restored once.
    if (await db.prepare(`SELECT 1 AS x FROM leads WHERE id = ?1`).bind(leadId).first()) return true;
    throw e;
  }
  await dropFromFiles(env, [row]);
  return true;
}

/**
 * GDPR erasure reaches the archive by restoring (erasure is a write): the archived leads of these
 * emails, at most `limit`, come back to D1 and leave their files, so that the D1 erasure that
 * follows redacts them as any other lead. Returns whether more remain.
 */
export async function restoreArchivedByEmail(env: ArchiveEnv, emails: readonly string[], limit: number): Promise<{ restored: number; more: boolean }> {
  const found = (
    await env.DB.prepare(`SELECT id FROM archived_leads WHERE email_lower IN (SELECT lower(value) FROM json_each(?1)) ORDER BY id LIMIT ?2`)
      .bind(JSON.stringify(emails), limit + 1)
      .all<{ id: number }>()
  ).results.map((r) => r.id);
  const ids = found.slice(0, limit);
  for (const id of ids) await restoreArchivedLead(env, id);
  return { restored: ids.length, more: found.length > limit };
}
