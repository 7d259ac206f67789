import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { QueryParams } from "../../src/hydra/query";
import { readBackfills } from "../../src/db/backfills";
import { type Ctx, collectionStatements } from "../../src/hydra/resource";
import { logResource } from "../../src/routes/v4/logs";
import { processrJobLeadResource } from "../../src/routes/v4/processr-job-leads";
import { CAMPAIGN, cleanData, insertLead, processLeads, rows } from "../leads/fixtures";
import { get, ids, tokens } from "./fixtures";

// An integration job's results are rows of job_results alone, its logs lines of their own: the
// Processr's trails never carry its lines. Its page (the console's Integration tab counts each
// integration's Total and Passed with itemsPerPage=1) must not expand every run of the campaign to
// learn that no trail has a line of it: what D1 reads for the page follows the page, not the
// campaign's leads.

const RUNS = 40;
let job: number;
let leads: number[];
let callers: Awaited<ReturnType<typeof tokens>>;

beforeAll(async () => {
  callers = await tokens();
  // The walk is read once the counts are known whole (no backfill left), as the routes' middleware reads it.
  await readBackfills(env.DB);
  leads = await Promise.all(Array.from({ length: RUNS }, (_, i) => insertLead({ publisherId: i % 2 ? 12 : 13 })));
  await processLeads(...leads);
  // An HTTP integration on the campaign, added after these runs, with results on three leads.
  const [{ id }] = await rows<{ id: number }>(
    `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, hardfail, enabled, position, config, created_ts, updated_ts)
     VALUES (?1, 'http_integration', 'CRM', 0, 0, 0, 99, '{}', 1, 1) RETURNING id`,
    CAMPAIGN,
  );
  job = id;
  await env.DB.prepare(
    `INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, started_ts, finished_ts)
     SELECT value, ?1, 'passed', 'delivered', 1, 1 FROM json_each(?2)`,
  ).bind(job, JSON.stringify(leads.slice(0, 3))).run();
});

/** Rows D1 reads for the page statement of `query` (not its count), as an admin or a publisher user asks it. */
async function pageRowsRead(query: string, publisherId: number | null) {
  const ctx = { env, db: drizzle(env.DB), now: Date.now(), principal: { kind: "user" }, isAdmin: publisherId === null, publisherId } as unknown as Ctx;
  const def = query.startsWith("logs?") ? logResource : processrJobLeadResource;
  const [, page] = collectionStatements(def, ctx, new QueryParams(`http://x/?${query.slice(query.indexOf("?") + 1)}`)).statements;
  return (await env.DB.prepare(page!.sql).bind(...page!.params).all()).meta.rows_read;
}

describe("an integration job's results and logs by job", () => {
  it("are found without reading the campaign's runs: D1 reads as much with more runs", async () => {
    const queries = [
      [`processr-job-leads?campaignProcessrJob.id=${job}&itemsPerPage=1`, null],
      [`processr-job-leads?campaignProcessrJob.id=${job}&status=passed&itemsPerPage=1`, null],
      [`processr-job-leads?campaignProcessrJob.id=${job}&order[id]=desc&itemsPerPage=1`, 12],
      [`logs?campaignProcessrJob.id=${job}&itemsPerPage=1`, null],
      [`logs?campaignProcessrJob.id=${job}&itemsPerPage=1`, 13],
    ] as const;
    const read = () => Promise.all(queries.map(([query, publisherId]) => pageRowsRead(query, publisherId)));
    const before = await read();
    await processLeads(...(await Promise.all(Array.from({ length: RUNS }, () => insertLead()))));
    expect(await read()).toEqual(before);
    // The same results as before, for an admin and for each publisher its own.
    const page = await get(`/api/v4/processr-job-leads?campaignProcessrJob.id=${job}&itemsPerPage=2`, callers.admin);
    expect(page.body["hydra:totalItems"]).toBe(3);
    const [{ first }] = await rows<{ first: number }>(`SELECT min(id) AS first FROM job_results WHERE campaign_processr_job_id = ?1`, job);
    expect(ids(page.body)[0]).toBe(first);
    expect(ids(page.body)).toHaveLength(2);
    const north = await get(`/api/v4/processr-job-leads?campaignProcessrJob.id=${job}`, callers.north);
    expect(north.body["hydra:totalItems"]).toBe(1);
    const agency = await get(`/api/v4/processr-job-leads?campaignProcessrJob.id=${job}`, callers.agency);
    expect(agency.body["hydra:totalItems"]).toBe(2);
  });

  it("still walks the trails of a QA job of the same campaign", async () => {
    const [{ qa }] = await rows<{ qa: number }>(`SELECT min(id) AS qa FROM campaign_processr_jobs WHERE campaign_id = ?1 AND type <> 'http_integration'`, CAMPAIGN);
    const page = await get(`/api/v4/processr-job-leads?campaignProcessrJob.id=${qa}&order[id]=desc&itemsPerPage=1`, callers.admin);
    const [{ n }] = await rows<{ n: number }>(`SELECT count(*) AS n FROM processr_job_leads v WHERE v.campaign_processr_job_id = ?1
      AND EXISTS (SELECT 1 FROM leads l WHERE l.id = v.lead_id AND l.deleted_ts IS NULL)`, qa);
    const [{ last }] = await rows<{ last: number }>(`SELECT max(id) AS last FROM processr_job_leads v WHERE v.campaign_processr_job_id = ?1
      AND EXISTS (SELECT 1 FROM leads l WHERE l.id = v.lead_id AND l.deleted_ts IS NULL)`, qa);
    expect(page.body["hydra:totalItems"]).toBe(n);
    expect(ids(page.body)).toEqual([last]);
  });

  it("reads a rare status's runs alone: none of the runs before its first line or after its last", async () => {
    // RUNS passing runs, one failing run, RUNS passing runs: the failure's page, oldest or newest
    // first, reads the runs between its first and last lines, not the campaign's others.
    const failing = await insertLead({ data: { ...cleanData(), lastName: "Test" }, publisherId: 12 });
    await processLeads(failing);
    await processLeads(...(await Promise.all(Array.from({ length: RUNS }, () => insertLead({ data: cleanData(), publisherId: 12 })))));
    const [{ qa, failed }] = await rows<{ qa: number; failed: number }>(
      `SELECT campaign_processr_job_id AS qa, id AS failed FROM processr_job_leads WHERE lead_id = ?1 AND status = 'failed' ORDER BY id LIMIT 1`, failing);
    const [{ others }] = await rows<{ others: number }>(`SELECT count(*) AS others FROM processr_job_leads WHERE campaign_processr_job_id = ?1 AND status = 'failed' AND lead_id <> ?2`, qa, failing);
    expect(others).toBe(0);
    // No more than the page of a status every run has, found in the first run read (the walk
    // through the RUNS runs on either side would read each run's row and lines).
    for (const [order, publisherId] of [["", null], ["&order[id]=desc", null], ["", 12], ["&order[id]=desc", 12]] as const) {
      const query = (status: string) => `processr-job-leads?campaignProcessrJob.id=${qa}&status=${status}&itemsPerPage=1${order}`;
      expect(await pageRowsRead(query("failed"), publisherId), query("failed")).toBeLessThanOrEqual(await pageRowsRead(query("passed"), publisherId));
      if (publisherId === null) expect(ids((await get(`/api/v4/${query("failed")}`, callers.admin)).body)).toEqual([failed]);
    }
  });
});
