import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { logs, processrJobLeads } from "../../src/db/schema";
import { QueryParams } from "../../src/hydra/query";
import type { ResourceDef } from "../../src/hydra/resource";
import { logResource } from "../../src/routes/v4/logs";
import { processrJobLeadResource } from "../../src/routes/v4/processr-job-leads";
import { insertLead, processLeads } from "../leads/fixtures";
import { type Doc, get, send, tokens } from "./fixtures";

// A job's results and logs by job (the console's Processr screen counts each job's results: total,
// passed, failed) and by id, on the views that expand the Processr trails: read among the leads
// of the campaigns the job has been on (campaign_processr_job_campaigns), never by expanding every
// trail in the database, with the same items and counts as the whole views give.

const db = drizzle(env.DB);
const OTHER = 6971; // a campaign of this file's own, with copies of campaign 601's jobs
let admin: Record<string, string>;
let jobs601: number[];
let jobsOther: number[];

const total = async (path: string) => {
  const { status, body } = await get(path, admin);
  expect(status).toBe(200);
  return body["hydra:totalItems"] as number;
};
/** The same number from the whole view, every trail expanded: what the API must answer (to an admin). */
const recount = async (view: "processr_job_leads" | "logs", where: string, ...binds: unknown[]) =>
  (await env.DB.prepare(
    `SELECT count(*) AS n FROM ${view} v WHERE ${where} AND (v.lead_id IS NULL OR EXISTS (SELECT 1 FROM leads l WHERE l.id = v.lead_id AND l.deleted_ts IS NULL))`,
  )
    .bind(...binds).first<{ n: number }>())!.n;

async function plan(def: ResourceDef, view: typeof logs | typeof processrJobLeads, query: string) {
  const q = new QueryParams(`http://x/?${query}`);
  const where = def.filters.map((f) => f.where?.(q)).find((w) => w !== undefined)!;
  const { sql, params } = db.select().from(view).where(where).toSQL();
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail).join("\n");
}

beforeAll(async () => {
  ({ admin } = await tokens());
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, api_key) VALUES (?1, 'Job results by job', 319, 1, 0, 4102444800000, 'job-results-by-job')`,
    ).bind(OTHER),
    env.DB.prepare(`INSERT INTO campaign_statistics (campaign_id) VALUES (?1)`).bind(OTHER),
    env.DB.prepare(
      `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, hardfail, enabled, position, config)
       SELECT ?1, type, label, score, hardfail, enabled, position, config FROM campaign_processr_jobs WHERE campaign_id = 601`,
    ).bind(OTHER),
  ]);
  const ids = async (c: number) =>
    (await env.DB.prepare(`SELECT id FROM campaign_processr_jobs WHERE campaign_id = ? ORDER BY position, id`).bind(c).all<{ id: number }>()).results.map((r) => r.id);
  jobs601 = await ids(601);
  jobsOther = await ids(OTHER);
  // Clean leads, and leads that fail some jobs (no last name; the same email twice), in both campaigns.
  const leads: number[] = [];
  for (const campaignId of [601, OTHER]) {
    const email = `twice.${campaignId}@example.org`;
    leads.push(await insertLead({ campaignId }), await insertLead({ campaignId }), await insertLead({ campaignId, data: { firstName: "Ada", email: `nolast.${campaignId}@example.org` } }));
    leads.push(await insertLead({ campaignId, data: { firstName: "Ada", lastName: "Byron", email } }), await insertLead({ campaignId, data: { firstName: "Ada", lastName: "Byron", email } }));
  }
  await processLeads(...leads);
});

describe("a job's results and logs by job", () => {
  it("counts each job's results by status exactly, in its own campaign and others", async () => {
    let failed = 0;
    for (const job of [...jobs601, ...jobsOther]) {
      const all = await total(`/api/v4/processr-job-leads?campaignProcessrJob.id=${job}&itemsPerPage=1`);
      expect(all).toBe(await recount("processr_job_leads", "campaign_processr_job_id = ?", job));
      expect(all).toBeGreaterThan(0);
      let sum = 0;
      for (const status of ["passed", "failed", "not_run"]) {
        const n = await total(`/api/v4/processr-job-leads?campaignProcessrJob.id=${job}&status=${status}&itemsPerPage=1`);
        expect(n).toBe(await recount("processr_job_leads", "campaign_processr_job_id = ? AND status = ?", job, status));
        sum += n;
        if (status === "failed") failed += n;
      }
      expect(sum).toBe(all);
    }
    expect(failed).toBeGreaterThan(0);
    // Several jobs at once, and a page's items: those of the job only.
    const both = `campaignProcessrJob.id[]=${jobs601[0]}&campaignProcessrJob.id[]=${jobsOther[0]}`;
    expect(await total(`/api/v4/processr-job-leads?${both}`)).toBe(
      await recount("processr_job_leads", "campaign_processr_job_id IN (?, ?)", jobs601[0], jobsOther[0]),
    );
    const { body } = await get(`/api/v4/processr-job-leads?campaignProcessrJob.id=${jobsOther[1]}&itemsPerPage=100`, admin);
    expect(new Set((body["hydra:member"] as Doc[]).map((r) => r.campaignProcessrJob))).toEqual(new Set([`/api/v4/campaign-processr-jobs/${jobsOther[1]}`]));
  });

  it("counts a job's logs exactly, with its provider calls with and without a lead", async () => {
    const job = jobsOther[0]!;
    const lead = (await env.DB.prepare(`SELECT id FROM leads WHERE campaign_id = ? LIMIT 1`).bind(OTHER).first<{ id: number }>())!.id;
    await env.DB.prepare(
      `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message) VALUES ('provider', ?1, ?2, ?3, 'info', 'call on a lead'), ('provider', NULL, ?2, ?3, 'info', 'test call')`,
    ).bind(lead, OTHER, job).run();
    const all = await total(`/api/v4/logs?campaignProcessrJob.id=${job}`);
    expect(all).toBe(await recount("logs", "campaign_processr_job_id = ?", job));
    expect(all).toBeGreaterThan(2);
    expect(await total(`/api/v4/logs?campaignProcessrJob=${job}&type=provider`)).toBe(2);
    expect(await total(`/api/v4/logs?campaignProcessrJob.id=${jobs601[0]}`)).toBe(await recount("logs", "campaign_processr_job_id = ?", jobs601[0]));
  });

  it("keeps a job's results on the campaigns it was on after a move and after a delete", async () => {
    const [moved, deleted] = [jobsOther[2]!, jobsOther[3]!];
    const before = await total(`/api/v4/processr-job-leads?campaignProcessrJob.id=${moved}`);
    const beforeDeleted = await total(`/api/v4/processr-job-leads?campaignProcessrJob.id=${deleted}`);
    expect(before).toBeGreaterThan(0);
    expect((await send(`/api/v4/campaign-processr-jobs/${moved}`, "PUT", { campaign: "/api/v4/campaigns/603" }, admin)).status).toBe(200);
    expect(await total(`/api/v4/processr-job-leads?campaignProcessrJob.id=${moved}`)).toBe(before);
    expect((await send(`/api/v4/campaign-processr-jobs/${deleted}`, "DELETE", undefined, admin)).status).toBe(204);
    expect(await total(`/api/v4/processr-job-leads?campaignProcessrJob.id=${deleted}`)).toBe(beforeDeleted);
    expect(await recount("processr_job_leads", "campaign_processr_job_id = ?", deleted)).toBe(beforeDeleted);
  });

  it("finds results and lines by ?id=, one or several, and nothing else", async () => {
    const { body } = await get(`/api/v4/processr-job-leads?campaignProcessrJob.id=${jobs601[0]}&itemsPerPage=3`, admin);
    const ids = (body["hydra:member"] as Doc[]).map((r) => r.id as number);
    expect(ids).toHaveLength(3);
    const byId = await get(`/api/v4/processr-job-leads?id[]=${ids[0]}&id[]=${ids[2]}&id[]=${ids[2]! + 1_000_000}`, admin);
    expect((byId.body["hydra:member"] as Doc[]).map((r) => r.id)).toEqual([ids[0], ids[2]]);
    expect((await get(`/api/v4/processr-job-leads?id=${ids[1]}`, admin)).body["hydra:totalItems"]).toBe(1);
    const own = await env.DB.prepare(`INSERT INTO log_lines (type, lead_id, campaign_id, message) VALUES ('provider', NULL, NULL, 'no lead') RETURNING id`).first<{ id: number }>();
    const lines = await get(`/api/v4/logs?id[]=${ids[0]}&id[]=${own!.id}&type=provider`, admin);
    expect((lines.body["hydra:member"] as Doc[]).map((l) => l.message)).toEqual(["no lead"]);
    const processr = await get(`/api/v4/logs?id[]=${ids[0]}&id[]=${ids[1]}`, admin);
    expect((processr.body["hydra:member"] as Doc[]).map((l) => l.id)).toEqual([ids[0], ids[1]]);
  });
});

describe("the plans", () => {
  // leads of the job's campaigns, then their trails through log_lines_lead_idx: never every trail.
  const throughCampaignLeads = (detail: string) => {
    expect(detail).toMatch(/SEARCH r USING INDEX log_lines_lead_idx/);
    expect(detail).toMatch(/leads_campaign_idx/);
    expect(detail).not.toMatch(/SCAN r\b/);
  };

  it("processr-job-leads?campaignProcessrJob.id= reads the job's campaigns' leads' trails", async () => {
    throughCampaignLeads(await plan(processrJobLeadResource, processrJobLeads, "campaignProcessrJob.id=9001"));
    throughCampaignLeads(await plan(processrJobLeadResource, processrJobLeads, "campaignProcessrJob.id[]=9001&campaignProcessrJob.id[]=9002"));
  });

  it("logs?campaignProcessrJob.id= reads the job's campaigns' leads' trails", async () => {
    throughCampaignLeads(await plan(logResource, logs, "campaignProcessrJob.id=9001"));
  });

  it("?id= reads the trails of the lines' leads", async () => {
    for (const [def, view] of [[processrJobLeadResource, processrJobLeads], [logResource, logs]] as const) {
      for (const query of ["id=12345", "id[]=12345&id[]=12399"]) {
        const detail = await plan(def, view, query);
        expect(detail).toMatch(/SEARCH r USING INDEX log_lines_lead_idx/);
        expect(detail).not.toMatch(/SCAN r\b/);
      }
    }
  });
});
