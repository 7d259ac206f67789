import { coreFieldsPending } from "../db/backfills";
import type { Env } from "../env";
import { type ArchivedLead, archiveKey, decodeLeads, encodeLeads, gunzip, gzip, KEPT_IN_D1, LEAD_TABLES, type LeadTable, type Row, rowKey, sha256Hex } from "./format";

// The scheduled archive (issue 18): leads older than their hot window (campaigns.archive_after_days,
// else the enterprise's ARCHIVE_AFTER_DAYS; neither set: never) move to the ARCHIVE bucket with all
// their rows, one gzip file per batch of one campaign and month. A batch is recorded (writing)
// before its file is written, the file is read back and checked before anything leaves D1, and
// D1 keeps a small index row per lead (archived_leads). A run that fails anywhere leaves the
// batch writing: the next run writes the same file again (same key, so nothing is duplicated)
// and only then removes the leads from D1, in one transaction that changes nothing if any lead
// moved on since it was read. Statistics and chronologies are running totals: they stay as
// they are.

const DAY_MS = 86_400_000;
/** How long a run holds a batch; past it another run takes the batch over. */
const ARCHIVE_LEASE_MS = 10 * 60_000;
const BATCH_SIZE = 200;
const BATCHES_PER_RUN = 5;

type ArchiveEnv = Pick<Env, "DB" | "ARCHIVE" | "ARCHIVE_AFTER_DAYS">;

interface ArchiveBatch {
  id: number;
  campaignId: number;
  month: string;
  leadIds: number[];
  claimedTs: number;
}

export interface ArchiveOptions {
  now?: number;
  /** Leads per file (at most). */
  batchSize?: number;
  /** Files written per run (at most). */
  maxBatches?: number;
}

const BATCH_COLUMNS = "id, campaign_id AS campaignId, month, lead_ids AS leadIds, claimed_ts AS claimedTs";
const toBatch = (r: Record<string, unknown>): ArchiveBatch => ({ ...(r as unknown as ArchiveBatch), leadIds: JSON.parse(r.leadIds as string) });

/** One cron run: resumes unfinished batches, then archives new ones, a bounded number of each. */
export async function archiveOldLeads(env: ArchiveEnv, opts: ArchiveOptions = {}): Promise<{ batches: number; leads: number }> {
  const now = opts.now ?? Date.now();
  const defaultDays = env.ARCHIVE_AFTER_DAYS ? Number(env.ARCHIVE_AFTER_DAYS) : null;
  let batches = 0;
  let leads = 0;
  for (let i = 0; i < (opts.maxBatches ?? BATCHES_PER_RUN); i++) {
    const batch = (await claimUnfinished(env.DB, now)) ?? (await claimNew(env.DB, now, defaultDays, opts.batchSize ?? BATCH_SIZE));
    if (!batch) break;
    try {
      leads += await writeBatch(env, batch, now);
    } catch (e) {
      // Let the next run retry at once instead of waiting for the lease to end.
      await env.DB.prepare(`UPDATE archive_batches SET claimed_ts = NULL WHERE id = ?1 AND claimed_ts = ?2`).bind(batch.id, batch.claimedTs).run();
      throw e;
    }
    batches++;
  }
  return { batches, leads };
}

/** An unfinished batch nobody holds (its run failed or died), now held by this run. */
async function claimUnfinished(db: D1Database, now: number): Promise<ArchiveBatch | null> {
  const row = await db.prepare(
    `UPDATE archive_batches SET claimed_ts = ?1
      WHERE id = (SELECT id FROM archive_batches WHERE status = 'writing' AND (claimed_ts IS NULL OR claimed_ts < ?2) ORDER BY id LIMIT 1)
      RETURNING ${BATCH_COLUMNS}`,
  ).bind(now, now - ARCHIVE_LEASE_MS).first();
  return row ? toBatch(row) : null;
}

/**
 * The oldest leads past their window, of one campaign and month, not in an unfinished batch, as
 * a new batch held by this run: one statement, so two runs never take the same leads. Only
 * leads the Processr is done with, with no delivery or callback under way, not deleted.
 */
async function claimNew(db: D1Database, now: number, defaultDays: number | null, size: number): Promise<ArchiveBatch | null> {
  const row = await db.prepare(
    `WITH eligible AS (
       SELECT l.id, l.campaign_id, strftime('%Y-%m', l.created_ts / 1000, 'unixepoch') AS month
         FROM campaigns c
         JOIN leads l ON l.campaign_id = c.id AND l.deleted_ts IS NULL
                     AND l.created_ts < ?1 - coalesce(c.archive_after_days, ?2) * ${DAY_MS}
        WHERE coalesce(c.archive_after_days, ?2) IS NOT NULL
          AND l.processr_status IN (900, 1000)
          AND NOT EXISTS (SELECT 1 FROM integration_deliveries d WHERE d.lead_id = l.id AND d.status = 'pending')
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries w WHERE w.lead_id = l.id AND w.status = 'pending')
          AND l.id NOT IN (SELECT j.value FROM archive_batches b, json_each(b.lead_ids) j WHERE b.status = 'writing')
          AND NOT ${coreFieldsPending("l.id")}
        ORDER BY c.id, l.created_ts, l.id
        LIMIT ?3
     ), first AS (SELECT campaign_id, month FROM eligible LIMIT 1)
     INSERT INTO archive_batches (campaign_id, month, lead_ids, claimed_ts)
     SELECT e.campaign_id, e.month, json_group_array(e.id), ?1 FROM eligible e JOIN first f USING (campaign_id, month)
      GROUP BY e.campaign_id, e.month
     RETURNING ${BATCH_COLUMNS}`,
  ).bind(now, defaultDays, size).first();
  return row ? toBatch(row) : null;
}

/** Every D1 row of these leads, table by table, in the order of LEAD_TABLES. */
async function readLeadRows(db: D1Database, leadIds: number[]): Promise<ArchivedLead[]> {
  const ids = JSON.stringify(leadIds);
  const results = await db.batch([
    ...LEAD_TABLES.map(([table, column]) =>
      db.prepare(`SELECT * FROM ${table} WHERE ${column} IN (SELECT value FROM json_each(?1)) ORDER BY ${rowKey(table)}`).bind(ids),
    ),
    db.prepare(`SELECT * FROM lead_datas WHERE lead_id IN (SELECT value FROM json_each(?1)) ORDER BY id`).bind(ids),
  ]);
  const byLead = new Map<number, ArchivedLead>();
  for (const lead of results[0]!.results as Row[]) {
    const rows = Object.fromEntries([...LEAD_TABLES.map(([t]) => t), "lead_datas"].map((t) => [t, []])) as unknown as ArchivedLead["rows"];
    byLead.set(lead.id as number, {
      id: lead.id as number, lead_hash: lead.lead_hash as string, email: lead.email as string | null,
      campaign_id: lead.campaign_id as number, publisher_id: lead.publisher_id as number, flag: lead.flag as string | null,
      created_ts: lead.created_ts as number, rows,
    });
  }
  LEAD_TABLES.forEach(([table, column], i) => {
    for (const row of results[i]!.results as Row[]) byLead.get(row[column] as number)?.rows[table].push(row);
  });
  for (const row of results[LEAD_TABLES.length]!.results as Row[]) byLead.get(row.lead_id as number)?.rows.lead_datas.push(row);
  return leadIds.flatMap((id) => byLead.get(id) ?? []);
}

/**
 * Writes a batch's file (the same key on every attempt), reads it back, checks it. Returns its
 * digest and size. With `ifEtag` (a rewrite of a file read before) the write happens only if the
 * file is still that version; null when it is not (the caller reads it again).
 */
export async function putVerified(bucket: R2Bucket, key: string, leads: ArchivedLead[], ifEtag?: string): Promise<{ sha256: string; bytes: number } | null> {
  const body = await gzip(encodeLeads(leads));
  const sha256 = await sha256Hex(body);
  const put = await bucket.put(key, body, {
    sha256, httpMetadata: { contentType: "application/gzip" }, customMetadata: { leads: String(leads.length) },
    ...(ifEtag === undefined ? {} : { onlyIf: { etagMatches: ifEtag } }),
  });
  if (!put) return null;
  const back = await bucket.get(key, { onlyIf: { etagMatches: put.etag } });
  if (!back) throw new Error(`Archive file ${key} is missing right after it was written.`);
  // Already replaced by a later rewrite, which read this one and checks its own.
  if (!("arrayBuffer" in back)) return { sha256, bytes: body.byteLength };
  const bytes = await back.arrayBuffer();
  if ((await sha256Hex(bytes)) !== sha256) throw new Error(`Archive file ${key} does not read back as written.`);
  const ids = decodeLeads(await gunzip(bytes)).map((l) => l.id);
  if (ids.join() !== leads.map((l) => l.id).join()) throw new Error(`Archive file ${key} does not hold the leads written.`);
  return { sha256, bytes: bytes.byteLength };
}

async function writeBatch(env: ArchiveEnv, batch: ArchiveBatch, now: number): Promise<number> {
  const db = env.DB;
  const leads = await readLeadRows(db, batch.leadIds);
  const key = archiveKey(batch);
  const held = `EXISTS (SELECT 1 FROM archive_batches WHERE id = ?1 AND status = 'writing' AND claimed_ts = ?2)`;
  if (leads.length === 0) {
    await db.prepare(`UPDATE archive_batches SET status = 'done', done_ts = ?3 WHERE id = ?1 AND claimed_ts = ?2`).bind(batch.id, batch.claimedTs, now).run();
    return 0;
  }
  const stillHeld = await db.prepare(`SELECT 1 AS x WHERE ${held}`).bind(batch.id, batch.claimedTs).first();
  if (!stillHeld) return 0;
  // An unconditional write is never refused.
  const file = (await putVerified(env.ARCHIVE, key, leads))!;

  // One transaction: index rows for the leads exactly as read (same updated_ts) and for their sync
  // tags, then, if that is not every lead (one changed meanwhile, or the batch was taken over), a
  // conflicting insert aborts it all; then every row read is deleted (by rowid, children first: a
  // row added since makes the lead's delete fail on its foreign key, which aborts it all too),
  // except those kept in D1, which are unlinked from the lead.
  const seen = JSON.stringify(leads.map((l) => [l.id, l.rows.leads[0]!.updated_ts]));
  const rowids = await rowidsOf(db, leads);
  const statements = [
    db.prepare(
      `INSERT INTO archived_leads (id, lead_hash, email_lower, campaign_id, publisher_id, created_ts, batch_id)
       SELECT l.id, l.lead_hash, lower(l.email), l.campaign_id, l.publisher_id, l.created_ts, ?1
         FROM leads l JOIN json_each(?3) s ON l.id = s.value ->> 0 AND l.updated_ts IS s.value ->> 1
        WHERE ${held}
       ON CONFLICT (id) DO UPDATE SET batch_id = excluded.batch_id`,
    ).bind(batch.id, batch.claimedTs, seen),
    // A client's sync-tag callback names the lead by its id there (src/archive/sync-tags.ts).
    db.prepare(
      `INSERT INTO archived_sync_tags (remote_lead_id, lead_id)
       SELECT d.remote_lead_id, d.lead_id FROM integration_deliveries d JOIN archived_leads a ON a.id = d.lead_id AND a.batch_id = ?1
        WHERE d.sync_secret IS NOT NULL AND d.remote_lead_id IS NOT NULL
       ON CONFLICT DO NOTHING`,
    ).bind(batch.id),
    db.prepare(
      `INSERT INTO archive_batches (id, campaign_id, month, lead_ids)
       SELECT ?1, ?2, '', '[]' WHERE (SELECT count(*) FROM archived_leads WHERE batch_id = ?1) <> ?3`,
    ).bind(batch.id, batch.campaignId, leads.length),
    ...[...LEAD_TABLES].reverse().map(([table, column]) =>
      db.prepare(
        KEPT_IN_D1.has(table)
          ? `UPDATE ${table} SET ${column} = NULL WHERE rowid IN (SELECT value FROM json_each(?1))`
          : `DELETE FROM ${table} WHERE ${rowKey(table)} IN (SELECT value FROM json_each(?1))`,
      ).bind(JSON.stringify(rowids.get(table) ?? [])),
    ),
    db.prepare(`UPDATE archive_batches SET status = 'done', done_ts = ?3, sha256 = ?4, bytes = ?5 WHERE id = ?1 AND claimed_ts = ?2`)
      .bind(batch.id, batch.claimedTs, now, file.sha256, file.bytes),
  ];
  await db.batch(statements);
  return leads.length;
}

/** The rowids of the rows read (tables whose key is not the rowid name it in a column of its own). */
async function rowidsOf(db: D1Database, leads: ArchivedLead[]): Promise<Map<LeadTable, number[]>> {
  const ids = JSON.stringify(leads.map((l) => l.id));
  const results = await db.batch(
    LEAD_TABLES.map(([table, column]) =>
      db.prepare(`SELECT ${rowKey(table)} AS r FROM ${table} WHERE ${column} IN (SELECT value FROM json_each(?1)) ORDER BY ${rowKey(table)}`).bind(ids),
    ),
  );
  const counted = new Map(LEAD_TABLES.map(([t], i) => [t, (results[i]!.results as { r: number }[]).map((x) => x.r)]));
  // A row added after the read would be deleted unarchived: refuse instead (the next run rereads).
  for (const [table] of LEAD_TABLES) {
    const read = leads.reduce((n, l) => n + l.rows[table].length, 0);
    if (counted.get(table)!.length !== read) throw new Error(`Archive batch changed while it was written (${table}); it is retried.`);
  }
  return counted;
}
