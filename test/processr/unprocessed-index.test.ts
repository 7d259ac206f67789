import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SWEEP_SQL } from "../../src/processr/sweeper";
import { insertLead, processLeads } from "../leads/fixtures";

// leads_unprocessed_idx (issue 18) holds only leads below On Hold: the sweeper finds Received and
// Sent to Processr leads through it, and a processed lead costs it nothing.

const plan = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...binds).all<{ detail: string }>()).results.map((r) => r.detail).join("\n");
const inIndex = async (id: number) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM leads INDEXED BY leads_unprocessed_idx WHERE processr_status < 500 AND id = ?1`).bind(id).first<{ n: number }>())!.n;

describe("leads_unprocessed_idx", () => {
  it("serves the sweeper's picks by status and id, without a scan or a sort", async () => {
    for (const status of [0, 100]) {
      const detail = await plan(SWEEP_SQL, status, Date.now(), 100);
      expect(detail).toMatch(/SEARCH leads USING INDEX leads_unprocessed_idx \(processr_status=\?\)/);
      expect(detail).not.toMatch(/SCAN leads|TEMP B-TREE/);
    }
  });

  it("holds a lead until the Processr is done with it", async () => {
    const id = await insertLead();
    expect(await inIndex(id)).toBe(1);
    await processLeads(id);
    expect(await inIndex(id)).toBe(0);
  });
});
