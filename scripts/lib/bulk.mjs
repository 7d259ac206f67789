// Bulk-loading leads straight into D1 for the read benchmarks: rows generated inside SQLite by a
// recursive CTE (one statement per chunk, no HTTP, no bound row data), then their lead datas.
// (JS numbers reach D1 as REAL, hence the CAST: otherwise emails would read "bulk1.0@…".)
// Campaign statistics and the chronology are updated in the same batch, so they stay a recount.

const DAY = 86_400_000;
const CHUNK = 50_000;

/**
 * Adds `count` processed leads to campaign 601 (publishers 12 and 13 alternating), created evenly
 * over the `days` days before `now`, each with firstName/lastName/email lead datas. Emails are
 * `bulk<n>@northwind-leads.co.uk` with n counting up from `from`.
 */
export async function bulkLoadLeads(db, { from, count, now, days = 365 }) {
  const span = days * DAY;
  const step = span / (from + count); // ids and createdTs grow together, as they do in production
  for (let start = from; start < from + count; start += CHUNK) {
    const end = Math.min(start + CHUNK, from + count) - 1;
    const [{ results }] = await db.batch([db.prepare("SELECT COALESCE(MAX(id), 0) AS max FROM leads")]);
    const firstId = results[0].max + 1;
    await db.batch([
      db.prepare(
        `INSERT INTO leads (campaign_id, publisher_id, form_id, link_id, lead_hash, qa_result, flag, processr_status,
           score, max_score, advertiser_billable, publisher_billable, advertiser_payout, email, first_name, last_name,
           ip, created_ts, updated_ts)
         WITH RECURSIVE seq(n) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT n + 1 FROM seq WHERE n < ?2)
         SELECT 601, 12 + (n % 2), 35, 25, 'bulk-' || n, 'Valid', 'Valid', 1000, 5, 5, 1, 1, '25.00',
           'bulk' || n || '@northwind-leads.co.uk', 'Ada', 'Lovelace', '10.' || (n % 250) || '.' || (n / 250 % 250) || '.1',
           ?3 + CAST(n * ?4 AS INTEGER), ?3 + CAST(n * ?4 AS INTEGER)
         FROM seq`,
      ).bind(start, end, now - span, step),
      // The values as capture stores them: each lead's block on its row, ids reserved in
      // lead_data_ids' sequence (src/leads/lead-data-block.ts).
      db.prepare(
        `UPDATE leads SET data_id = (SELECT seq FROM sqlite_sequence WHERE name = 'lead_data_ids') + 1 + (id - ?1) * 3,
           data = json_array(json_array('firstName', first_name), json_array('lastName', last_name), json_array('email', email))
         WHERE id >= ?1`,
      ).bind(firstId),
      db.prepare(`UPDATE sqlite_sequence SET seq = seq + 3 * (SELECT count(*) FROM leads WHERE id >= ?1) WHERE name = 'lead_data_ids'`).bind(firstId),
      // The running totals move with the rows, as capture and the Processr keep them: v4 reads
      // hydra:totalItems of a campaign from them (src/routes/v4/leads.ts).
      db.prepare(
        `INSERT INTO campaign_statistics (campaign_id, total_leads, valid_leads, billable_leads, delivered_leads, total_sales_cents)
         SELECT 601, count(*), count(*), count(*), count(*), 2500 * count(*) FROM leads WHERE id >= ?1
         ON CONFLICT (campaign_id) DO UPDATE SET total_leads = total_leads + excluded.total_leads,
           valid_leads = valid_leads + excluded.valid_leads, billable_leads = billable_leads + excluded.billable_leads,
           delivered_leads = delivered_leads + excluded.delivered_leads, total_sales_cents = total_sales_cents + excluded.total_sales_cents`,
      ).bind(firstId),
      db.prepare(
        `INSERT INTO lead_statistics_chronologies (campaign_id, day, total_leads, valid_leads, billable_leads)
         SELECT 601, strftime('%Y-%m-%d', created_ts / 1000, 'unixepoch') AS d, count(*), count(*), count(*)
           FROM leads WHERE id >= ?1 GROUP BY d
         ON CONFLICT (campaign_id, day) DO UPDATE SET total_leads = total_leads + excluded.total_leads,
           valid_leads = valid_leads + excluded.valid_leads, billable_leads = billable_leads + excluded.billable_leads`,
      ).bind(firstId),
    ]);
  }
}
