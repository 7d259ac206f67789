import { env } from "cloudflare:workers";
import { and } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { logs, processrJobLeads } from "../../src/db/schema";
import { QueryParams } from "../../src/hydra/query";
import type { ResourceDef } from "../../src/hydra/resource";
import { resetLeadForReprocess } from "../../src/leads/client";
import { logResource } from "../../src/routes/v4/logs";
import { processrJobLeadResource } from "../../src/routes/v4/processr-job-leads";
import { cleanData, insertLead, processLeads } from "../leads/fixtures";
import { type Doc, get, tokens } from "./fixtures";

// A job's results and logs with the filters and orders beside the job that are not the console's
// (lead.id, id, level, dates, order[startedTs], order[createdTs]): each page and hydra:totalItems
// equal the whole view's, filtered and sorted by SQL, for an admin and a publisher user.

const db = drizzle(env.DB);
let headers: { admin: Record<string, string>; north: Record<string, string> };
let job: number;
let leads: number[];
let lines: number[];

type Caller = "admin" | "north";
/** Who sees a row of the view `v`: an admin every live lead's (and lines without a lead), publisher 12 its leads' Processr lines. */
const visible = (caller: Caller, view: "logs" | "processr_job_leads") =>
  `${caller === "admin" && view === "logs" ? "v.lead_id IS NULL OR " : ""}EXISTS (SELECT 1 FROM leads l WHERE l.id = v.lead_id AND l.deleted_ts IS NULL${
    caller === "north" ? " AND l.publisher_id = 12" : ""})${caller === "north" && view === "logs" ? " AND v.type = 'processr'" : ""}`;

/** The page and count the view gives for `where` and `order` (the id last, as the API's). */
async function expected(view: "logs" | "processr_job_leads", caller: Caller, where: string, order: string, page: number, binds: unknown[]) {
  const from = `FROM ${view} v WHERE v.campaign_processr_job_id = ?1 AND (${visible(caller, view)})${where ? ` AND ${where}` : ""}`;
  const n = (await env.DB.prepare(`SELECT count(*) AS n ${from}`).bind(job, ...binds).first<{ n: number }>())!.n;
  const ids = await env.DB.prepare(`SELECT v.id ${from} ORDER BY ${order ? `${order}, ` : ""}v.id LIMIT 4 OFFSET ${(page - 1) * 4}`).bind(job, ...binds).all<{ id: number }>();
  return { n, ids: ids.results.map((r) => r.id) };
}

async function expectSame(path: string, view: "logs" | "processr_job_leads", where: string, order: string, ...binds: unknown[]) {
  for (const caller of ["admin", "north"] as const) {
    for (const page of [1, 2]) {
      const { status, body } = await get(`/api/v4/${path}&campaignProcessrJob.id=${job}&itemsPerPage=4&page=${page}`, headers[caller]);
      expect(status, path).toBe(200);
      const want = await expected(view, caller, where, order, page, binds);
      expect({ n: body["hydra:totalItems"], ids: (body["hydra:member"] as Doc[]).map((m) => m.id) }, `${path} (${caller}, page ${page})`).toEqual(want);
    }
  }
}

beforeAll(async () => {
  const { admin, north } = await tokens();
  headers = { admin, north };
  job = (await env.DB.prepare(`SELECT id FROM campaign_processr_jobs WHERE campaign_id = 601 ORDER BY position, id LIMIT 1`).first<{ id: number }>())!.id;
  // Passing and failing leads of both publishers, each run twice (the earlier run's lines stay in the logs).
  const kinds = [() => cleanData(), () => ({ firstName: "Only", email: cleanData().email! })];
  leads = [];
  for (let i = 0; i < 10; i++) leads.push(await insertLead({ data: kinds[i % 2]!(), publisherId: i % 3 ? 12 : 13 }));
  await processLeads(...leads.slice(0, 5));
  await processLeads(...leads.slice(5));
  await Promise.all(leads.slice(0, 3).map((id) => resetLeadForReprocess(env, { leadId: id, author: "t" })));
  await processLeads(...leads.slice(0, 3));
  // The job's provider calls, on a lead and without one.
  await env.DB.prepare(
    `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message) VALUES ('provider', ?1, 601, ?2, 'error', 'call'), ('provider', NULL, 601, ?2, 'info', 'test call')`,
  ).bind(leads[1], job).run();
  lines = (await env.DB.prepare(`SELECT id FROM logs WHERE campaign_processr_job_id = ?1 ORDER BY id`).bind(job).all<{ id: number }>()).results.map((r) => r.id);
  expect(lines.length).toBeGreaterThan(12);
});

describe("a job's results and logs with other filters", () => {
  it("by lead.id and by id", async () => {
    const [a, b] = [leads[1]!, leads[3]!];
    await expectSame(`processr-job-leads?lead.id=${a}`, "processr_job_leads", "v.lead_id = ?2", "", a);
    await expectSame(`processr-job-leads?lead.id[]=${a}&lead.id[]=${b}&order[id]=desc`, "processr_job_leads", "v.lead_id IN (?2, ?3)", "v.id DESC", a, b);
    await expectSame(`logs?lead.id=${a}`, "logs", "v.lead_id = ?2", "", a);
    await expectSame(`logs?lead.id=${a}&type=provider`, "logs", "v.lead_id = ?2 AND v.type = 'provider'", "", a);
    const some = [lines[0]!, lines[3]!, lines.at(-1)!, lines.at(-2)!];
    await expectSame(`logs?${some.map((id) => `id[]=${id}`).join("&")}`, "logs", "v.id IN (?2, ?3, ?4, ?5)", "", ...some);
    await expectSame(`processr-job-leads?${some.map((id) => `id[]=${id}`).join("&")}`, "processr_job_leads", "v.id IN (?2, ?3, ?4, ?5)", "", ...some);
  });

  it("reads a lead's rows, not the job's campaigns' leads, by lead.id and by id", async () => {
    for (const [def, view] of [[processrJobLeadResource, processrJobLeads], [logResource, logs]] as const) {
      for (const query of ["lead.id=53001", "lead.id[]=53001&lead.id[]=53002", "id=12345"]) {
        const detail = await plan(def, view, `campaignProcessrJob.id=9001&${query}`);
        expect(detail, query).toMatch(/USING INDEX log_lines_lead_idx/);
        expect(detail, query).not.toMatch(/leads_campaign_idx/);
      }
    }
  });
});

async function plan(def: ResourceDef, view: typeof logs | typeof processrJobLeads, query: string) {
  const q = new QueryParams(`http://x/?${query}`);
  const where = def.filters.map((f) => f.where?.(q)).filter((w) => w !== undefined);
  const { sql, params } = db.select().from(view).where(and(...where)).toSQL();
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail).join("\n");
}
