import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getDb } from "../../../src/db/client";
import { createJobHistory, otherLeadsCountsQuery, otherLeadsQuery } from "../../../src/processr/job-context";
import { NOW, storeLead, unique } from "./helpers";

// A queue batch's history counts of one shape (the same conditions, other values) go to D1 as ONE
// statement (otherLeadsCountsQuery), each count still its own and still searched by index.

afterEach(() => vi.restoreAllMocks());

describe("history counts of a queue batch", () => {
  it("counts of one shape are one statement, each answered as the count alone; other shapes have their own", async () => {
    const [a, b] = [`${unique("shape-a")}@example.org`, `${unique("shape-b")}@Example.org`];
    const ip = `198.51.100.${Math.floor(Math.random() * 200)}`;
    const a1 = await storeLead({ email: a, ip, flag: "Valid", createdTs: NOW - 3000 });
    const a2 = await storeLead({ email: a, ip, createdTs: NOW - 2000 });
    const b1 = await storeLead({ email: b, campaignId: 603, formId: 37, createdTs: NOW - 1000 });
    const a3 = await storeLead({ email: a, ip });
    const b2 = await storeLead({ email: b });
    const queries = [
      { lead: a3, email: a }, { lead: a2, email: a }, { lead: b2, email: b.toUpperCase() }, { lead: a1, email: a },
      { lead: a3, email: a, campaignId: 601, flags: ["Valid" as const, null] }, { lead: b2, email: b, campaignId: 601, flags: ["Valid" as const, null] },
      { lead: a3, ip, sinceTs: NOW - 2500 },
    ];
    const alone = await Promise.all(queries.map(async (q) => (await otherLeadsQuery(getDb(env), q))[0]!.n));
    expect(alone).toEqual([2, 1, 1, 0, 2, 0, 1]);

    const batch = vi.spyOn(env.DB, "batch");
    const history = createJobHistory(env);
    expect(await Promise.all(queries.map((q) => history.countOtherLeads(q)))).toEqual(alone);
    // Three shapes: email; email, campaign and flags; IP and since.
    expect(batch.mock.calls).toHaveLength(1);
    expect(batch.mock.calls[0]![0]).toHaveLength(3);
  });

  it("fails every caller when the statement fails", async () => {
    const email = `${unique("fails")}@example.org`;
    const lead = await storeLead({ email });
    vi.spyOn(env.DB, "batch").mockRejectedValue(new Error("D1 is unavailable"));
    const history = createJobHistory(env);
    const counts = await Promise.allSettled([history.countOtherLeads({ lead, email }), history.countOtherLeads({ lead, email: "other@example.org" })]);
    expect(counts.map((c) => c.status)).toEqual(["rejected", "rejected"]);
  });

  it("searches the email and IP indexes for each row", async () => {
    const db = getDb(env);
    const self = await storeLead({ email: "plan-batch@example.org", ip: "192.0.2.2" });
    const other = await storeLead({ email: "plan-batch-2@example.org", ip: "192.0.2.3" });
    const plan = async (qs: Parameters<typeof otherLeadsCountsQuery>[1]) => {
      const { sql, params } = otherLeadsCountsQuery(db, qs).toSQL();
      const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      return rows.results.map((r) => r.detail).join("\n");
    };
    const byEmail = await plan([self, other].map((lead) => ({ lead, email: lead.email!, campaignId: 601, flags: ["Valid" as const] })));
    expect(byEmail).toMatch(/INDEX leads_email_lower_idx/);
    expect(byEmail).not.toMatch(/SCAN leads/);
    const byIp = await plan([self, other].map((lead) => ({ lead, ip: lead.ip!, campaignId: 601, sinceTs: NOW - 30_000 })));
    expect(byIp).toMatch(/INDEX leads_ip_created_idx/);
    expect(byIp).not.toMatch(/SCAN leads/);
  });
});
