// Job results by job at scale: the console's Processr screen asks, per job, for the number of
// its results (total, passed, failed: `GET /api/v4/processr-job-leads?campaignProcessrJob.id=…&itemsPerPage=1`),
// and an integration's Logs tab for a page of its job's logs. Both are views expanding the compact
// Processr trails (one log_lines row per lead and run, src/processr/trail.ts). Leads bulk-loaded
// into campaign 601 (scripts/lib/bulk.mjs) get a trail each, written straight into D1 in the shape
// the Processr writes; a second campaign gets a few leads with trails of its own jobs, and the
// first job provider calls of its own. Each request is timed sequentially (the median of a few
// calls): what matters is whether its cost follows the page, the job's campaign or the database.
import { bulkLoadLeads } from "./bulk.mjs";
import { startDirect } from "./direct.mjs";

const CHUNK = 25_000;
const OTHER_LEADS = 1_000;
// Provider calls of campaign 601's first job, one per this many of its leads (an HTTP integration's log).
const PROVIDER_EVERY = 10;
const CALLS = 5;

/**
 * One trail per lead of `campaignId` with id >= fromLeadId, in the form the Processr writes: a start
 * line, a compact line per job (every fourth fails), the outcome (its scores added up by the views).
 */
async function writeTrails(db, { campaignId, jobs, fromLeadId }) {
  const n = jobs.length + 2;
  const { results: [range] } = await db.prepare("SELECT min(id) AS lo, max(id) AS hi FROM leads WHERE campaign_id = ? AND id >= ?").bind(campaignId, fromLeadId).all();
  const jobLines = jobs.map((j, i) => `json_array(${j.id}, CASE WHEN (l.id + ${i}) % 4 = 0 THEN 1 ELSE 0 END, ${j.score}, 0, 1, 2, 7)`).join(", ");
  for (let lo = range.lo; lo <= range.hi; lo += CHUNK) {
    const hi = Math.min(lo + CHUNK - 1, range.hi);
    const { results: [{ seq }] } = await db.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines'), 0) AS seq").all();
    // The row's id ends its block of n ids (one per line), as src/processr/trail.ts reserves them.
    await db.prepare(
      `INSERT INTO log_lines (id, type, lead_id, campaign_id, level, message, created_ts, trail)
       SELECT ?1 + (l.id - ?2) * ${n} + ${n}, 'processr', l.id, l.campaign_id, 'info', '', l.created_ts,
              json_array(${jobs.length}, ${jobLines}, json_array('o', 3, 'Valid'))
         FROM leads l WHERE l.campaign_id = ?3 AND l.id BETWEEN ?2 AND ?4`,
    ).bind(seq, lo, campaignId, hi).run();
  }
}

/** A copy of the first `count` leads of campaign 601 in another campaign (its own hashes and emails). */
async function copyLeads(db, campaignId, count) {
  const { results: [{ max }] } = await db.prepare("SELECT max(id) AS max FROM leads").all();
  await db.prepare(
    `INSERT INTO leads (campaign_id, publisher_id, form_id, link_id, lead_hash, qa_result, flag, processr_status, score, max_score,
       advertiser_billable, publisher_billable, advertiser_payout, email, first_name, last_name, ip, created_ts, updated_ts)
     SELECT ?1, publisher_id, form_id, link_id, 'other-' || id, qa_result, flag, processr_status, score, max_score,
       advertiser_billable, publisher_billable, advertiser_payout, 'other' || email, first_name, last_name, ip, created_ts, updated_ts
       FROM leads WHERE campaign_id = 601 ORDER BY id LIMIT ?2`,
  ).bind(campaignId, count).run();
  return max + 1;
}

async function timed(url, headers) {
  const ms = [];
  let body;
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    body = await res.json();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: ms[Math.floor(ms.length / 2)], total: body["hydra:totalItems"] };
}

/**
 * `prepare(mf, base)` migrates and seeds the enterprise and returns its D1 binding; `login(base)` a
 * bearer token of an admin, `login(base, username, password)` of that user.
 */
/** One provider call of job `jobId` for every PROVIDER_EVERY-th lead of campaign 601 with id >= fromLeadId. */
async function writeProviderCalls(db, { jobId, fromLeadId }) {
  await db.prepare(
    `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message, context, created_ts)
     SELECT 'provider', id, campaign_id, ?1, 'info', 'POST https://crm.example/leads: 200', '{"response":{"status":200,"body":"ok"}}', created_ts
       FROM leads WHERE campaign_id = 601 AND id >= ?2 AND id % ${PROVIDER_EVERY} = 0 ORDER BY id`,
  ).bind(jobId, fromLeadId).run();
}

export async function measureJobResults({ script, persistTo, port, vars, sizes, prepare, login, log }) {
  const base = `http://127.0.0.1:${port}`;
  const mf = await startDirect({ script, persistTo, port, vars, noConsumers: true });
  const out = { sizes: [] };
  try {
    const db = await prepare(mf, base);
    const headers = { Authorization: `Bearer ${await login(base)}` };
    // A publisher user (12, half of the bulk leads): its counts are its own leads'.
    const publisherHeaders = { Authorization: `Bearer ${await login(base, "api@northwind.test", "northwind-2026!")}` };
    const jobsOf = async (c) => (await db.prepare("SELECT id, score FROM campaign_processr_jobs WHERE campaign_id = ? ORDER BY position, id").bind(c).all()).results;
    const jobs601 = await jobsOf(601);
    // Another campaign of the enterprise, with copies of 601's jobs when it has none of its own.
    const { results: [{ other }] } = await db.prepare("SELECT min(id) AS other FROM campaigns WHERE id <> 601 AND deleted_ts IS NULL").all();
    if ((await jobsOf(other)).length === 0) {
      await db.prepare(
        `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, hardfail, enabled, position, config, created_ts, updated_ts)
         SELECT ?1, type, label, score, hardfail, enabled, position, config, created_ts, updated_ts FROM campaign_processr_jobs WHERE campaign_id = 601`,
      ).bind(other).run();
    }
    const jobsOther = await jobsOf(other);
    let loaded = 0;
    const now = Date.now();
    for (const size of sizes) {
      log(`job results: loading up to ${size.toLocaleString("en-GB")} leads with trails`);
      const { results: [{ max }] } = await db.prepare("SELECT coalesce(max(id), 0) AS max FROM leads").all();
      await bulkLoadLeads(db, { from: loaded, count: size - loaded, now });
      await writeTrails(db, { campaignId: 601, jobs: jobs601, fromLeadId: max + 1 });
      await writeProviderCalls(db, { jobId: jobs601[0].id, fromLeadId: max + 1 });
      if (loaded === 0) await writeTrails(db, { campaignId: other, jobs: jobsOther, fromLeadId: await copyLeads(db, other, OTHER_LEADS) });
      loaded = size;
      await db.exec("ANALYZE");
      const { results: [{ line }] } = await db.prepare("SELECT max(id) - 3 AS line FROM log_lines WHERE lead_id IN (SELECT id FROM leads WHERE campaign_id = ?)").bind(other).all();
      const j = jobs601[0].id;
      const o = jobsOther[0].id;
      // A lead halfway through campaign 601, its line of job j (the run's second), and a date 30 days back.
      const { results: [mid] } = await db.prepare(
        `SELECT r.lead_id AS lead, r.id - ${jobs601.length} AS line FROM log_lines r WHERE r.campaign_id = 601 AND r.trail IS NOT NULL AND r.lead_id >= (SELECT (min(id) + max(id)) / 2 FROM leads WHERE campaign_id = 601) ORDER BY r.lead_id LIMIT 1`,
      ).all();
      const since = new Date(now - 30 * 86_400_000).toISOString().slice(0, 10);
      const requests = [
        ["job results, total (campaign 601's job)", `processr-job-leads?campaignProcessrJob.id=${j}&itemsPerPage=1`],
        ["job results, passed (campaign 601's job)", `processr-job-leads?campaignProcessrJob.id=${j}&status=passed&itemsPerPage=1`],
        ["job results, failed (campaign 601's job)", `processr-job-leads?campaignProcessrJob.id=${j}&status=failed&itemsPerPage=1`],
        [`job results, total (campaign ${other}'s job, ${OTHER_LEADS.toLocaleString("en-GB")} leads)`, `processr-job-leads?campaignProcessrJob.id=${o}&itemsPerPage=1`],
        [`job results, failed (campaign ${other}'s job)`, `processr-job-leads?campaignProcessrJob.id=${o}&status=failed&itemsPerPage=1`],
        ["job results by id (?id=)", `processr-job-leads?id=${line}`],
        [`logs of campaign ${other}'s job`, `logs?campaignProcessrJob.id=${o}&itemsPerPage=1`],
        ["logs by id (?id=)", `logs?id=${line}`],
        ["logs of campaign 601's job", `logs?campaignProcessrJob.id=${j}&itemsPerPage=1`],
        ["job results, a deep page (page 100 of 30, newest first)", `processr-job-leads?campaignProcessrJob.id=${j}&order[id]=desc&page=100`],
        ["job results, failed, page 50 of 30", `processr-job-leads?campaignProcessrJob.id=${j}&status=failed&page=50`],
        ["job results by startedTs (not walked: sorts the job's results)", `processr-job-leads?campaignProcessrJob.id=${j}&order[startedTs]=desc&itemsPerPage=1`],
        ["job results by startedTs, oldest first", `processr-job-leads?campaignProcessrJob.id=${j}&order[startedTs]=asc&itemsPerPage=1`],
        ["job results of one lead (lead.id)", `processr-job-leads?campaignProcessrJob.id=${j}&lead.id=${mid.lead}`],
        ["job results by id, with the job", `processr-job-leads?campaignProcessrJob.id=${j}&id=${mid.line}`],
        ["logs of one lead (lead.id)", `logs?campaignProcessrJob.id=${j}&lead.id=${mid.lead}`],
        ["logs by id, with the job", `logs?campaignProcessrJob.id=${j}&id=${mid.line}`],
        ["logs by level (warning)", `logs?campaignProcessrJob.id=${j}&level=warning&itemsPerPage=1`],
        ["logs of the last 30 days (createdTs[after])", `logs?campaignProcessrJob.id=${j}&createdTs[after]=${since}&itemsPerPage=1`],
        ["logs by createdTs, newest first", `logs?campaignProcessrJob.id=${j}&order[createdTs]=desc&itemsPerPage=1`],
        // Campaign 601's second job: the first fails only even ids (writeTrails), none of them publisher 12's.
        ["a publisher user's job results, failed", `processr-job-leads?campaignProcessrJob.id=${jobs601[1].id}&status=failed&itemsPerPage=1`, publisherHeaders],
        ["the integration Logs tab (provider calls, page 1 of 20)", `logs?type=provider&campaignProcessrJob.id=${j}&order[id]=desc&itemsPerPage=20&page=1`],
        ["the integration Logs tab, page 50", `logs?type=provider&campaignProcessrJob.id=${j}&order[id]=desc&itemsPerPage=20&page=50`],
        ["a publisher user's logs of the job, page 10 of 30", `logs?campaignProcessrJob.id=${j}&page=10`, publisherHeaders],
      ];
      const rows = [];
      for (const [name, path, as = headers] of requests) {
        log(`job results: ${name}`);
        rows.push({ name, path, ...(await timed(`${base}/api/v4/${path}`, as)) });
        log(`job results: ${rows.at(-1).medianMs.toFixed(1)} ms, ${rows.at(-1).total} items`);
      }
      out.sizes.push({ size, otherLeads: OTHER_LEADS, rows });
    }
    return out;
  } finally {
    await mf.dispose();
  }
}

export function jobResultsReport(r, fmt) {
  const L = [];
  for (const s of r.sizes) {
    L.push(`${fmt(s.size)} leads with a trail in campaign 601, ${fmt(s.otherLeads)} in another campaign; median of ${CALLS} sequential calls:`, "");
    L.push("| request | median | hydra:totalItems |", "|---|---:|---:|");
    for (const row of s.rows) L.push(`| ${row.name}: \`${row.path}\` | ${fmt(row.medianMs, 1)} ms | ${fmt(row.total)} |`);
    L.push("");
  }
  return L.join("\n");
}
