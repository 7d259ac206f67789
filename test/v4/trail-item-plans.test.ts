import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { logs, processrJobLeads } from "../../src/db/schema";
import { logResource } from "../../src/routes/v4/logs";
import { processrJobLeadResource } from "../../src/routes/v4/processr-job-leads";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertLead, processLeads } from "../leads/fixtures";

// GET /api/v4/logs/{id} and /api/v4/processr-job-leads/{id} on the views, whose trail line ids
// are computed: the lookup goes through the line's lead (log_lines_lead_idx), never through every
// Processr trail. (The items themselves are read in test/processr/trail.test.ts.)

const db = drizzle(env.DB);
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
});
const item = async (path: string) => {
  const res = await call(path, { headers: admin });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
async function plan(query: { toSQL(): { sql: string; params: unknown[] } }) {
  const { sql, params } = query.toSQL();
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail).join("\n");
}

describe("item lookups on the trail views", () => {
  it("/api/v4/logs/{id} reads one lead's trails", async () => {
    const detail = await plan(db.select().from(logs).where(logResource.idWhere!(12345)));
    expect(detail).toMatch(/SEARCH r USING INDEX log_lines_lead_idx/);
    expect(detail).not.toMatch(/SCAN r\b/);
  });

  it("/api/v4/processr-job-leads/{id} reads one lead's trails", async () => {
    const detail = await plan(db.select().from(processrJobLeads).where(processrJobLeadResource.idWhere!(12345)));
    expect(detail).toMatch(/SEARCH r USING INDEX log_lines_lead_idx/);
    expect(detail).not.toMatch(/SCAN r\b/);
  });

  it("finds rows of their own (with or without a lead) and job_results rows as before, and nothing else", async () => {
    const id = await insertLead();
    await processLeads(id);
    const own = await env.DB.prepare(`INSERT INTO log_lines (type, lead_id, campaign_id, message) VALUES ('provider', NULL, NULL, 'test call') RETURNING id`)
      .first<{ id: number }>();
    expect(await item(`/api/v4/logs/${own!.id}`)).toMatchObject({ status: 200, body: { message: "test call", lead: null } });
    const result = await env.DB.prepare(
      `INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, started_ts, finished_ts) VALUES (?1, 9001, 'passed', 'delivered', 1, 2) RETURNING id`,
    ).bind(id).first<{ id: number }>();
    expect(await item(`/api/v4/processr-job-leads/${result!.id}`)).toMatchObject({ status: 200, body: { message: "delivered", lead: `/api/v4/leads/${id}` } });
    // A trail's lines and results, by the ids the lead's lists give them.
    const lines = (await item(`/api/v4/logs?lead.id=${id}&type=processr`)).body["hydra:member"] as { id: number; message: string }[];
    for (const line of lines) expect(await item(`/api/v4/logs/${line.id}`)).toMatchObject({ status: 200, body: { message: line.message } });
    const results = (await item(`/api/v4/processr-job-leads?lead.id=${id}`)).body["hydra:member"] as { id: number; message: string }[];
    expect(results).toHaveLength(6);
    for (const r of results) expect(await item(`/api/v4/processr-job-leads/${r.id}`)).toMatchObject({ status: 200, body: { message: r.message } });
    expect((await item(`/api/v4/logs/${own!.id + 1_000_000}`)).status).toBe(404);
    expect((await item(`/api/v4/processr-job-leads/${lines[0]!.id}`)).status).toBe(404);
  });
});
