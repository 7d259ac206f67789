import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resetLeadForReprocess, transitionLead } from "../../src/leads/client";
import { recountSalesCents, salesCentsOf } from "../../src/leads/statistics";
import { get, tokens } from "../v4/fixtures";
import { cleanData, insertLead, processLeads, rows } from "./fixtures";

// statistics.totalSales: the advertiser payouts booked on a campaign's billable leads, kept as a
// running sum in cents by the lead objects, equal to a recount after any mix of changes.

const salesCents = async (campaignId: number) =>
  (await env.DB.prepare("SELECT total_sales_cents AS n FROM campaign_statistics WHERE campaign_id = ?1").bind(campaignId).first<{ n: number }>())!.n;

describe("statistics.totalSales", () => {
  it("counts a lead's booked payout only while it is Valid, billable and live", () => {
    const s = (flag: "Valid" | "Invalid" | "Test" | null, advertiserBillable: boolean, advertiserPayout: string, deleted = false) =>
      salesCentsOf({ flag, processrStatus: 1000, advertiserBillable, advertiserPayout, deleted });
    expect([s("Valid", true, "10.00"), s("Valid", true, "12.35"), s("Valid", true, "0.10")]).toEqual([1000, 1235, 10]);
    expect([s("Valid", false, "10.00"), s("Invalid", false, "0.00"), s("Test", false, "0.00"), s("Valid", true, "10.00", true), s(null, false, "0.00")]).toEqual(
      [0, 0, 0, 0, 0],
    );
  });

  it("equals a recount after a concurrent burst of valid, invalid and re-flagged leads across a payout change", async () => {
    const shared = cleanData().email!;
    const kinds = [
      () => cleanData(),
      () => ({ ...cleanData(), lastName: "Smiiith" }),
      () => ({ firstName: "Dup", lastName: "Licate", email: shared }),
      () => cleanData(),
    ];
    const leads = await Promise.all(Array.from({ length: 32 }, (_, i) => insertLead({ data: kinds[i % kinds.length]!(), overAllocation: i % 9 === 0 })));
    const chunks = [0, 1, 2].map((k) => leads.filter((_, i) => i % 3 === k));
    await Promise.all([...chunks, ...chunks].map((c) => processLeads(...c))); // at-least-once: each lead twice
    const flags = new Set((await rows<{ flag: string }>("SELECT flag FROM leads WHERE campaign_id = 601 AND id >= ?1", leads[0])).map((r) => r.flag));
    expect([...flags]).toEqual(expect.arrayContaining(["Valid", "Invalid"]));
    expect(await salesCents(601)).toBe(await recountSalesCents(env.DB, 601));

    // The advertiser's payout changes: leads flagged Valid from now on are sold at the new price.
    await env.DB.prepare("UPDATE campaigns SET payout_amount = '12.35' WHERE id = 601").run();
    const work = leads.flatMap((id, i): Promise<unknown>[] => {
      if (i % 6 === 0) return [transitionLead(env, { leadId: id, to: "Invalid", source: "webhook", author: "t" })];
      if (i % 6 === 1) return [transitionLead(env, { leadId: id, to: "Valid", source: "sync", author: "t" })];
      if (i % 6 === 2) return [transitionLead(env, { leadId: id, to: "Deleted", source: "delete", author: "t" })];
      if (i % 6 === 3) return [resetLeadForReprocess(env, { leadId: id, author: "t" }).then(() => processLeads(id))];
      if (i % 6 === 4) {
        return [
          transitionLead(env, { leadId: id, to: "Invalid", source: "manual", author: "t" }).then(() =>
            transitionLead(env, { leadId: id, to: "Valid", source: "manual", author: "t" })),
        ];
      }
      return [transitionLead(env, { leadId: id, to: "Test", source: "manual", author: "t" })];
    });
    await Promise.all(work);

    const recount = await recountSalesCents(env.DB, 601);
    expect(await salesCents(601)).toBe(recount);
    // Both prices are in the sum, so it differs from billable × the current payout (campaignRevenue).
    const prices = await rows<{ p: string }>(
      "SELECT DISTINCT advertiser_payout AS p FROM leads WHERE campaign_id = 601 AND flag = 'Valid' AND advertiser_billable = 1 AND deleted_ts IS NULL AND id >= ?1",
      leads[0],
    );
    expect(prices.map((r) => r.p).sort()).toEqual(["10.00", "12.35"]);

    const t = await tokens();
    const campaign = (await get("/api/v4/campaigns/601", t.admin)).body;
    expect(campaign.statistics.totalSales).toBe(recount / 100);
    expect(campaign.statistics.campaignRevenue.revenue).not.toBe((recount / 100).toFixed(2));
    // Publisher users see their own lead figures only, not what the advertiser pays.
    expect((await get("/api/v4/campaigns/601", t.agency)).body.statistics.totalSales).toBeUndefined();
    const order = async (dir: string) =>
      ((await get(`/api/v4/campaigns?order[statistics.totalSales]=${dir}&order[id]=asc`, t.admin)).body["hydra:member"] as { id: number }[]).map((c) => c.id);
    expect((await order("desc"))[0]).toBe(601);
    expect((await order("asc")).at(-1)).toBe(601);
  });
});
