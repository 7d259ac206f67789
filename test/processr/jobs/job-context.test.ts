import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../../src/db/client";
import { createJobContext, createJobHistory, otherLeadsQuery } from "../../../src/processr/job-context";
import { NOW, storeLead, unique } from "./helpers";

const history = createJobContext(env, NOW).history;

describe("createJobContext(env).history.countOtherLeads", () => {
  it("answers concurrent counts (sent to D1 as one batch) each with its own result", async () => {
    const email = `${unique("batched")}@example.org`;
    const first = await storeLead({ email, createdTs: NOW - 2000 });
    const second = await storeLead({ email, createdTs: NOW - 1000 });
    const third = await storeLead({ email, createdTs: NOW });
    const shared = createJobHistory(env);
    const counts = await Promise.all([third, first, second].map((lead) => shared.countOtherLeads({ lead, email })));
    expect(counts).toEqual([2, 0, 1]);
    // A later turn starts a new batch.
    expect(await shared.countOtherLeads({ lead: third, email, flags: [] })).toBe(0);
    expect(await shared.countOtherLeads({ lead: third, email })).toBe(2);
  });


  it("counts only leads created before this one, or at the same time with a lower id", async () => {
    const email = `${unique("order")}@example.org`;
    const first = await storeLead({ email, createdTs: NOW - 1000 });
    const tieLow = await storeLead({ email, createdTs: NOW });
    const self = await storeLead({ email, createdTs: NOW });
    await storeLead({ email, createdTs: NOW + 1000 });
    expect(await history.countOtherLeads({ lead: self, email })).toBe(2);
    expect(await history.countOtherLeads({ lead: tieLow, email })).toBe(1);
    expect(await history.countOtherLeads({ lead: first, email })).toBe(0);
  });

  it("ignores deleted leads", async () => {
    const email = `${unique("deleted")}@example.org`;
    await storeLead({ email, createdTs: NOW - 5000, deletedTs: NOW - 1000 });
    const self = await storeLead({ email });
    expect(await history.countOtherLeads({ lead: self, email })).toBe(0);
  });

  it("matches emails case-insensitively whatever case they were stored in", async () => {
    const local = unique("Mixed.Case");
    await storeLead({ email: `${local}@Example.ORG`, createdTs: NOW - 1000 });
    const self = await storeLead({ email: `${local.toLowerCase()}@example.org` });
    expect(await history.countOtherLeads({ lead: self, email: `  ${local.toUpperCase()}@EXAMPLE.org ` })).toBe(1);
  });

  it("filters by campaign, publisher, ip and since", async () => {
    const email = `${unique("scope")}@example.org`;
    const ip = `198.51.100.${Math.floor(Math.random() * 200)}`;
    await storeLead({ email, ip, campaignId: 603, formId: 37, createdTs: NOW - 10_000 });
    await storeLead({ email, ip, publisherId: 13, createdTs: NOW - 5_000 });
    const self = await storeLead({ email, ip });
    expect(await history.countOtherLeads({ lead: self, email })).toBe(2);
    expect(await history.countOtherLeads({ lead: self, email, campaignId: 601 })).toBe(1);
    expect(await history.countOtherLeads({ lead: self, email, campaignId: 601, publisherId: 12 })).toBe(0);
    expect(await history.countOtherLeads({ lead: self, email, sinceTs: NOW - 6_000 })).toBe(1);
    expect(await history.countOtherLeads({ lead: self, ip, email })).toBe(2);
    expect(await history.countOtherLeads({ lead: self, ip: "192.0.2.250", email })).toBe(0);
  });

  it("filters by flag, Billable meaning advertiser-billable Valid", async () => {
    const email = `${unique("flags")}@example.org`;
    await storeLead({ email, flag: "Valid", advertiserBillable: false, createdTs: NOW - 4 });
    await storeLead({ email, flag: "Valid", advertiserBillable: true, createdTs: NOW - 3 });
    await storeLead({ email, flag: "Caution", createdTs: NOW - 2 });
    await storeLead({ email, flag: null, createdTs: NOW - 1 });
    const self = await storeLead({ email });
    expect(await history.countOtherLeads({ lead: self, email })).toBe(4);
    expect(await history.countOtherLeads({ lead: self, email, flags: ["Valid"] })).toBe(2);
    expect(await history.countOtherLeads({ lead: self, email, flags: ["Billable"] })).toBe(1);
    expect(await history.countOtherLeads({ lead: self, email, flags: ["Caution", "Billable"] })).toBe(2);
    expect(await history.countOtherLeads({ lead: self, email, flags: [] })).toBe(0);
  });

  it("answers email and IP lookups from indexes", async () => {
    const db = getDb(env);
    const self = await storeLead({ email: "plan@example.org", ip: "192.0.2.1" });
    const plan = async (q: Parameters<typeof otherLeadsQuery>[1]) => {
      const { sql, params } = otherLeadsQuery(db, q).toSQL();
      const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      return rows.results.map((r) => r.detail).join("\n");
    };
    // Duplicate Email Check, User Overactivity Check (enterprise scope): the lower(email) index.
    expect(await plan({ lead: self, email: "plan@example.org", flags: ["Valid"] })).toMatch(/INDEX leads_email_lower_idx/);
    expect(await plan({ lead: self, email: "plan@example.org", sinceTs: NOW - 1 })).toMatch(/INDEX leads_email_lower_idx/);
    // Duplicate Email Check within a campaign: the email index, not a walk over the campaign's leads.
    expect(await plan({ lead: self, email: "plan@example.org", campaignId: 601, flags: ["Valid"] })).toMatch(
      /INDEX leads_email_lower_idx/,
    );
    expect(await plan({ lead: self, email: "plan@example.org", campaignId: 601, publisherId: 12 })).toMatch(
      /INDEX leads_email_lower_idx/,
    );
    // Unique IP Address Check across the enterprise.
    expect(await plan({ lead: self, ip: "192.0.2.1", sinceTs: NOW - 3_600_000 })).toMatch(/INDEX leads_ip_created_idx/);
    // Rapid Post and Unique IP checks: the (ip, created_ts) index.
    expect(await plan({ lead: self, ip: "192.0.2.1", campaignId: 601, sinceTs: NOW - 30_000 })).toMatch(
      /INDEX leads_ip_created_idx/,
    );
  });
});
