import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertLead, processLeads, rows } from "../leads/fixtures";

// A Lead links its job results (leadProcessrJobs) from the view processr_job_lead_ids, which
// gives the ids of processr_job_leads without its other columns (migration 0041). Both views must
// list the same results for every form a lead's results take: job_results' rows, a compact trail,
// the first compact form ({s, l}), a trail stored in full, a result a reprocess cleared, and a
// rerun (only the latest run's results count).

let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
});

const S = 1_764_468_000_123;
/** Stores a run's trail for a lead, its row's id at the end of its block of line ids. */
async function storeTrail(leadId: number, trail: unknown, lines: number) {
  await env.DB.prepare(
    `INSERT INTO log_lines (id, type, lead_id, campaign_id, level, message, created_ts, trail)
     VALUES ((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines') + ?4, 'processr', ?1, 601, 'info', '', ?2, ?3)`,
  ).bind(leadId, S, JSON.stringify(trail), lines).run();
}

const idsOf = (view: string, leadId: number) =>
  rows<{ id: number }>(`SELECT id FROM ${view} WHERE lead_id = ?1 ORDER BY id`, leadId).then((r) => r.map((x) => x.id));

async function expectSameResults(leadId: number, count: number) {
  const all = await idsOf("processr_job_leads", leadId);
  expect(all).toHaveLength(count);
  expect(await idsOf("processr_job_lead_ids", leadId)).toEqual(all);
  const links = all.map((id) => `/api/v4/processr-job-leads/${id}`);
  const item = await call(`/api/v4/leads/${leadId}`, { headers: admin });
  expect(item.status).toBe(200);
  expect(((await item.json()) as { leadProcessrJobs: string[] }).leadProcessrJobs).toEqual(links);
  const page = await call(`/api/v4/leads?id=${leadId}`, { headers: admin });
  expect(((await page.json()) as { "hydra:member": { leadProcessrJobs: string[] }[] })["hydra:member"][0]!.leadProcessrJobs).toEqual(links);
}

describe("a lead's job-result ids", () => {
  it("a processed lead (compact trail) and job_results' rows", async () => {
    const id = await insertLead();
    await processLeads(id);
    await env.DB.prepare(
      `INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, started_ts, finished_ts) VALUES (?1, 9001, 'passed', 'Delivered', ?2, ?2)`,
    ).bind(id, S).run();
    await expectSameResults(id, 6);
  });

  it("a result a reprocess cleared is left out, and only the latest run's results count", async () => {
    const id = await insertLead();
    await processLeads(id);
    const [first] = await idsOf("processr_job_leads", id);
    await env.DB.prepare(`DELETE FROM processr_job_leads WHERE id = ?1`).bind(first).run();
    // The trail became {l, x}: its line 1 (the first job line after the start line) cleared.
    expect(await rows(`SELECT trail ->> '$.x' AS x FROM log_lines WHERE lead_id = ?1 AND trail IS NOT NULL`, id)).toEqual([{ x: "[1]" }]);
    await expectSameResults(id, 4);
    // A later run of one job: the first run's results are not the lead's any more.
    await storeTrail(id, [1, [9003, 0, 15, 0, 0, 1, 13], ["o", 1, "Valid"]], 3);
    await expectSameResults(id, 1);
  });

  it("trails of the first compact form and stored in full", async () => {
    const compact = await insertLead();
    await storeTrail(compact, {
      s: S,
      l: [["m", "info", 0, [1, "2"]], [9001, 0, 40, 1, 0, 0, [5, "3"]], [9003, 0, 15, 0, 1, 1, 13], ["o", 1, "Valid", 55, 55, 0]],
    }, 4);
    await expectSameResults(compact, 2);
    const full = await insertLead();
    await storeTrail(full, {
      s: S,
      l: [
        ["m", "info", 0, "Processr run started: 1 QA job(s).", null],
        ["j", 9001, "passed", 40, 40, 1, 0, 1, "info", "Required values (old label)", "All required values are present.", null],
        ["m", "info", 2, "Processr outcome: Valid. Score 40/40; all jobs passed.", { flag: "Valid", score: 40, maxScore: 40, hardfail: false }],
      ],
    }, 3);
    await expectSameResults(full, 1);
  });
});
