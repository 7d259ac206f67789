import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertLead, leadRow, processLeads, rows } from "../leads/fixtures";

// A Processr run's job results and log lines are stored as one row (src/processr/trail.ts) and
// read back through the views processr_job_leads and logs: same rows, ids in time order.

let admin: string;
beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
});

type Member = Record<string, unknown> & { "@id": string };
const list = async (path: string) => {
  const res = await call(path, { headers: bearer(admin) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { "hydra:member": Member[] })["hydra:member"];
};
const idOf = (m: Member) => Number(m["@id"].split("/").pop());

describe("Processr trail", () => {
  it("writes one row per run and serves its results and lines through the v4 resources", async () => {
    const id = await insertLead();
    await processLeads(id);

    const stored = await rows<{ id: number; trail: string | null }>(`SELECT id, trail FROM log_lines WHERE lead_id = ?1`, id);
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.trail!)).toHaveLength(7);
    expect(await rows(`SELECT id FROM job_results WHERE lead_id = ?1`, id)).toEqual([]);

    const logs = await list(`/api/v4/logs?lead.id=${id}&order[id]=asc`);
    expect(logs.map((l) => l.message)).toEqual([
      "Processr run started: 5 QA job(s).",
      expect.stringMatching(/^.+: passed — /),
      expect.stringMatching(/^.+: passed — /),
      expect.stringMatching(/^.+: passed — /),
      expect.stringMatching(/^.+: passed — /),
      expect.stringMatching(/^.+: passed — /),
      "Processr outcome: Valid. Score 100/100; all jobs passed.",
    ]);
    // The lines take the block of ids that ends at the row's id, in time order.
    const ids = logs.map(idOf);
    expect(ids).toEqual(ids.map((_, i) => stored[0]!.id - 6 + i));
    const times = logs.map((l) => Date.parse(l.createdTs as string));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(logs[1]!.context).toMatchObject({ status: "passed", hardfail: expect.any(Boolean), durationMs: expect.any(Number) });
    expect(logs[6]!.context).toMatchObject({ flag: "Valid", score: 100, maxScore: 100, hardfail: false });

    // Each job result has its log line's id, and reads alone as an item.
    const results = await list(`/api/v4/processr-job-leads?lead.id=${id}&order[id]=asc`);
    expect(results.map(idOf)).toEqual(ids.slice(1, 6));
    expect(results.map((r) => r.campaignProcessrJob)).toEqual(logs.slice(1, 6).map((l) => l.campaignProcessrJob));
    const one = await call(`/api/v4/processr-job-leads/${ids[2]}`, { headers: bearer(admin) });
    expect(await one.json()).toMatchObject({ "@id": `/api/v4/processr-job-leads/${ids[2]}`, status: "passed", lead: `/api/v4/leads/${id}` });
    const line = await call(`/api/v4/logs/${ids[6]}`, { headers: bearer(admin) });
    expect(await line.json()).toMatchObject({ message: "Processr outcome: Valid. Score 100/100; all jobs passed." });

    // A line written later (a provider call) comes after the whole run.
    await env.DB.prepare(`INSERT INTO logs (type, lead_id, campaign_id, message) VALUES ('provider', ?1, 601, 'CRM call')`).bind(id).run();
    const after = await list(`/api/v4/logs?lead.id=${id}&order[id]=asc`);
    expect(after.map((l) => l.message).at(-1)).toBe("CRM call");
    expect(idOf(after.at(-1)!)).toBeGreaterThan(stored[0]!.id);
  });

  it("a reprocess clears the results but keeps the first run's lines; the rerun's results replace them", async () => {
    const id = await insertLead();
    await processLeads(id);
    const first = (await list(`/api/v4/processr-job-leads?lead.id=${id}`)).map(idOf);
    expect(first).toHaveLength(5);

    // The lead object clears the results as it resets the lead (the view passes the delete on).
    await env.DB.prepare(`DELETE FROM processr_job_leads WHERE lead_id = ?1`).bind(id).run();
    expect(await list(`/api/v4/processr-job-leads?lead.id=${id}`)).toEqual([]);
    expect(await list(`/api/v4/logs?lead.id=${id}`)).toHaveLength(7);

    const res = await call(`/api/v4/leads/${id}/reprocess`, { method: "POST", headers: bearer(admin) });
    expect(res.status).toBe(202);
    await vi.waitFor(async () => expect((await leadRow(id))!.processr_status).toBe(1000), { timeout: 15_000, interval: 100 });
    const second = (await list(`/api/v4/processr-job-leads?lead.id=${id}`)).map(idOf);
    expect(second).toHaveLength(5);
    expect(Math.min(...second)).toBeGreaterThan(Math.max(...first));
    // Both runs' lines, plus the reprocess request's own line.
    expect(await list(`/api/v4/logs?lead.id=${id}&itemsPerPage=100`)).toHaveLength(15);
  });

  it("deleting a run's line deletes its run (a run's lines go together)", async () => {
    const id = await insertLead();
    await processLeads(id);
    const [line] = await list(`/api/v4/logs?lead.id=${id}`);
    await env.DB.prepare(`DELETE FROM logs WHERE id = ?1`).bind(idOf(line!)).run();
    expect(await rows(`SELECT id FROM log_lines WHERE lead_id = ?1`, id)).toEqual([]);
    expect(await list(`/api/v4/processr-job-leads?lead.id=${id}`)).toEqual([]);
  });
});
