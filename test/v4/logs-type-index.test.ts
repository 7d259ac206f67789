import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertLead, processLeads } from "../leads/fixtures";

// log_lines_type_idx holds only rows of their own (provider calls, status changes), not Processr
// trails (issue 18): the view logs reads trail lines without it, and v4's type filter still
// finds both kinds.

let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
});

describe("log_lines_type_idx", () => {
  it("serves the type filter on the view's own rows", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN SELECT id FROM logs WHERE type = ?1 ORDER BY id DESC LIMIT 30`)
      .bind("provider").all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join("\n")).toMatch(/SEARCH log_lines USING INDEX log_lines_type_idx \(type=\?\)/);
  });

  it("the type filter finds a lead's trail lines and its own rows", async () => {
    const id = await insertLead();
    await processLeads(id);
    await env.DB.prepare(`INSERT INTO logs (type, lead_id, campaign_id, message) VALUES ('provider', ?1, 601, 'CRM call')`).bind(id).run();
    const messages = async (type: string) => {
      const res = await call(`/api/v4/logs?lead.id=${id}&type=${type}&order[id]=asc`, { headers: admin });
      expect(res.status).toBe(200);
      return ((await res.json()) as { "hydra:member": { message: string }[] })["hydra:member"].map((m) => m.message);
    };
    expect(await messages("processr")).toHaveLength(7);
    expect(await messages("provider")).toEqual(["CRM call"]);
  });
});
