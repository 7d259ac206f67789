import { env } from "cloudflare:workers";
import { and, desc, isNull, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { leads } from "../../src/db/schema";
import { QueryParams } from "../../src/hydra/query";
import { updatedTsFilter } from "../../src/routes/v4/leads";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertLead, processLeads } from "../leads/fixtures";

// updated_ts is indexed in two halves (issue 18): leads_processed_updated_idx over leads the
// Processr is done with, leads_unprocessed_idx over the others. v4's updatedTs filters search a
// range in both, for their count and their pages, and find every lead in range whatever its status.

let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
});

const plan = async (query: { sql: string; params: unknown[] }) =>
  (await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).bind(...query.params).all<{ detail: string }>()).results.map((r) => r.detail).join("\n");

/** The list's count and page statements (src/hydra/resource.ts) for this query string. */
function listQueries(query: string) {
  const where = and(isNull(leads.deletedTs), updatedTsFilter.where!(new QueryParams(`http://x/api/v4/leads?${query}`)));
  const db = getDb(env);
  return {
    count: db.select({ n: sql<number>`count(*)` }).from(leads).where(where).toSQL(),
    page: db.select({ id: leads.id }).from(leads).where(where).orderBy(desc(leads.id)).limit(30).offset(0).toSQL(),
  };
}

describe("updatedTs filters on leads", () => {
  it("search both halves of the index, for the count and the page, without a scan or a sort", async () => {
    for (const query of ["updatedTs[after]=2026-01-01", "updatedTs[after]=2026-01-01&updatedTs[strictly_before]=2026-02-01"]) {
      for (const statement of Object.values(listQueries(query))) {
        const detail = await plan(statement);
        expect(detail).toMatch(/SEARCH leads USING INDEX leads_processed_updated_idx \(updated_ts>\?/);
        expect(detail).toMatch(/SEARCH leads USING INDEX leads_unprocessed_idx \(processr_status<\?\)/);
        expect(detail).not.toMatch(/SCAN leads|TEMP B-TREE/);
      }
    }
  });

  it("find leads in range at every Processr status, once each", async () => {
    const received = await insertLead();
    const processed = await insertLead();
    await processLeads(processed);
    const held = await insertLead({ campaignId: 602, formId: 36 });
    await processLeads(held);
    const sent = await insertLead();
    await env.DB.prepare(`UPDATE leads SET processr_status = 100 WHERE id = ?1`).bind(sent).run();
    const ids = [received, processed, held, sent];
    const at = new Map((await env.DB.prepare(`SELECT id, updated_ts FROM leads WHERE id IN (${ids.join(",")})`).all<{ id: number; updated_ts: number }>())
      .results.map((r) => [r.id, r.updated_ts]));
    const from = new Date(Math.min(...at.values())).toISOString();
    const list = async (query: string) => {
      const res = await call(`/api/v4/leads?${query}&itemsPerPage=100&order[id]=asc`, { headers: admin });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { "hydra:member": { id: number }[]; "hydra:totalItems": number };
      return { ids: body["hydra:member"].map((m) => m.id).filter((id) => ids.includes(id)), total: body["hydra:totalItems"] };
    };
    const all = await list(`updatedTs[after]=${encodeURIComponent(from)}`);
    expect(all.ids).toEqual([...ids].sort((a, b) => a - b));
    expect(all.total).toBe((await env.DB.prepare(`SELECT count(*) AS n FROM leads WHERE deleted_ts IS NULL AND updated_ts >= ?1`)
      .bind(Date.parse(from)).first<{ n: number }>())!.n);
    // A range ending before the processed lead's outcome leaves it out.
    const before = await list(`updatedTs[strictly_before]=${encodeURIComponent(new Date(at.get(processed)!).toISOString())}&updatedTs[after]=${encodeURIComponent(from)}`);
    expect(before.ids).not.toContain(processed);
    expect(before.ids).toContain(received);
  });
});
