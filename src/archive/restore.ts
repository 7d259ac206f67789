import { restoredCoreFields } from "../db/backfills";
import type { Env } from "../env";
import { putVerified } from "./archive-job";
import { type ArchivedLead, archiveKey, decodeLeads, gunzip, KEPT_IN_D1, LEAD_TABLES, restoreRows } from "./format";

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

/** A file's leads and its version (etag); null when there is no such file. */
async function readVersion(env: ArchiveEnv, key: string): Promise<{ leads: ArchivedLead[]; etag: string } | null> {
  const object = await env.ARCHIVE.get(key);
  return object ? { leads: decodeLeads(await gunzip(await object.arrayBuffer())), etag: object.etag } : null;
}

/** A file's leads and its version (etag), which must exist. */
async function readFile(env: ArchiveEnv, key: string): Promise<{ leads: ArchivedLead[]; etag: string }> {
  const file = await readVersion(env, key);
  if (!file) throw new Error(`Archive file ${key} is missing.`);
  return file;
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
  for (const key of new Set(rows.map(keyOf))) for (const l of (await readFile(env, key)).leads) byId.set(l.id, l);
  const indexed = new Set(rows.map((r) => r.id));
  return leadIds.flatMap((id) => (indexed.has(id) && byId.has(id) ? [byId.get(id)!] : []));
}

/** The id of the archived lead with this hash, or null. */
export async function archivedLeadIdByHash(db: D1Database, leadHash: string): Promise<number | null> {
  return (await db.prepare(`SELECT id FROM archived_leads WHERE lead_hash = ?1`).bind(leadHash).first<{ id: number }>())?.id ?? null;
}

/** Rewrites of a file that lose the race to another rewrite are tried again, at most this often. */
const REWRITE_ATTEMPTS = 5;

/**
 * Rewrites a batch's file with only the leads still archived in it (its index rows), read back
 * and checked; an emptied file is deleted. The file is read before the index and written only if
 * it is still the version read, so of two restores from one file at once neither puts back the
 * lead the other took out: the one whose write is refused reads both again. `read` is the version
 * the restore read before it took its lead out of the index, so the first attempt reads no file.
 */
async function pruneFile(env: ArchiveEnv, batch: IndexRow, read: { leads: ArchivedLead[]; etag: string }): Promise<void> {
  const key = keyOf(batch);
  let file: typeof read | null = read;
  for (let attempt = 1; attempt <= REWRITE_ATTEMPTS; attempt++) {
    if (attempt > 1) file = await readVersion(env, key);
    if (!file) return;
    const indexed = new Set(
      (await env.DB.prepare(`SELECT id FROM archived_leads WHERE batch_id = ?1`).bind(batch.batchId).all<{ id: number }>()).results.map((r) => r.id),
    );
    const kept = file.leads.filter((l) => indexed.has(l.id));
    if (kept.length === file.leads.length) return;
    if (kept.length === 0) return env.ARCHIVE.delete(key);
    if (await putVerified(env.ARCHIVE, key, kept, file.etag)) return;
  }
  throw new Error(`Archive file ${key} kept changing while it was rewritten; the next restore from it rewrites it again.`);
}

/** Restores of one lead that lose to a re-archive of it are tried again, at most this often. */
const RESTORE_ATTEMPTS = 3;

/**
 * Puts an archived lead back into D1 with the same rows (ids included) and removes it from its
 * archive file. False when the lead is not archived (or not in `owner`'s campaign or publisher).
 * Safe to run concurrently for one lead: one transaction brings it back, and only while its index
 * row still names the file read; a restore that loses finds the lead in D1 and is done, or, if
 * the lead was archived again meanwhile, reads where it is now.
 */
export async function restoreArchivedLead(env: ArchiveEnv, leadId: number, owner: { campaignId?: number; publisherId?: number } = {}): Promise<boolean> {
  const db = env.DB;
  for (let attempt = 1; ; attempt++) {
    const row = await db
      .prepare(`${INDEX_SELECT} WHERE a.id = ?1 AND (?2 IS NULL OR a.campaign_id = ?2) AND (?3 IS NULL OR a.publisher_id = ?3)`)
      .bind(leadId, owner.campaignId ?? null, owner.publisherId ?? null)
      .first<IndexRow>();
    if (!row) return false;
    const file = await readFile(env, keyOf(row));
    const lead = file.leads.find((l) => l.id === leadId);
    if (!lead) throw new Error(`Archived lead ${leadId} is not in its archive file ${keyOf(row)}.`);
    try {
      await db.batch([
        // Aborts it all (the batch's own id again) unless the lead is still archived in this file.
        db.prepare(
          `INSERT INTO archive_batches (id, campaign_id, month, lead_ids)
           SELECT id, campaign_id, month, '[]' FROM archive_batches
            WHERE id = ?2 AND NOT EXISTS (SELECT 1 FROM archived_leads WHERE id = ?1 AND batch_id = ?2)`,
        ).bind(leadId, row.batchId),
        // The index row (and its sync tags) leave as the rows come back.
        db.prepare(`DELETE FROM archived_leads WHERE id = ?1`).bind(leadId),
        ...LEAD_TABLES.flatMap(([table, column]) => {
          const { into, rows } = restoreRows(lead, table);
          return rows.map((r) => {
            const columns = Object.keys(r);
            const kept = KEPT_IN_D1.get(table);
            return db.prepare(
              `INSERT INTO ${into} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")})` +
                (kept ? ` ON CONFLICT (${kept}) DO UPDATE SET ${column} = excluded.${column}` : ""),
            ).bind(...columns.map((c) => r[c] ?? null));
          });
        }),
        // Copies a lead archived before migration 0046's backfill reached it lacks (src/db/backfills.ts).
        restoredCoreFields(db, leadId),
      ]);
    } catch (e) {
      if (await db.prepare(`SELECT 1 AS x FROM leads WHERE id = ?1`).bind(leadId).first()) return true;
      if (attempt < RESTORE_ATTEMPTS) continue;
      throw e;
    }
    await pruneFile(env, row, file);
    return true;
  }
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
