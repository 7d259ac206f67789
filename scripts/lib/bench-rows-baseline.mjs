// The v4 read baseline's table (bench/baseline.ts GET /rows): as many rows as the leads table under
// measurement, as wide as a bulk-loaded lead row, with an index on (campaign_id, id), so that the
// baseline reads 100 indexed rows from a table of the same size, in one D1 statement.

const CHUNK = 50_000;

/** Grows the baseline table of `db` (the baseline worker's BASE_DB) from `from` to `from + count` rows. */
export async function loadRowsBaseline(db, { from, count, now }) {
  await db.batch([
    db.prepare(
      `CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL, publisher_id INTEGER NOT NULL,
         form_id INTEGER NOT NULL, link_id INTEGER, lead_hash TEXT NOT NULL, flag TEXT, processr_status INTEGER NOT NULL,
         score INTEGER NOT NULL, advertiser_payout TEXT NOT NULL, email TEXT, first_name TEXT, last_name TEXT, ip TEXT,
         deleted_ts INTEGER, created_ts INTEGER NOT NULL, updated_ts INTEGER NOT NULL)`,
    ),
    db.prepare("CREATE INDEX IF NOT EXISTS rows_campaign_idx ON rows (campaign_id, id)"),
  ]);
  for (let start = from; start < from + count; start += CHUNK) {
    const end = Math.min(start + CHUNK, from + count) - 1;
    await db
      .prepare(
        `INSERT INTO rows (id, campaign_id, publisher_id, form_id, link_id, lead_hash, flag, processr_status, score,
           advertiser_payout, email, first_name, last_name, ip, created_ts, updated_ts)
         WITH RECURSIVE seq(n) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT n + 1 FROM seq WHERE n < ?2)
         SELECT n + 1, 601, 12 + (n % 2), 35, 25, 'bulk-' || n, 'Valid', 1000, 5, '25.00',
           'bulk' || n || '@northwind-leads.co.uk', 'Ada', 'Lovelace', '10.' || (n % 250) || '.' || (n / 250 % 250) || '.1', ?3 + n, ?3 + n
         FROM seq`,
      )
      .bind(start, end, now - 365 * 86_400_000)
      .run();
  }
  await db.exec("ANALYZE");
}
