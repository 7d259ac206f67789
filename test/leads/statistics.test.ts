import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resetLeadForReprocess, transitionLead } from "../../src/leads/client";
import { ALLOCATION_RECOUNT_SQL, bucketsOf, holdsAllocation, recountCampaign, recountChronology } from "../../src/leads/statistics";
import { campaignStats, cleanData, insertLead, processLeads, rows } from "./fixtures";

// Campaign statistics, the chronology and the publishers' allocation places are running totals;
// after any mix of concurrent captures, Processr runs, manual changes, deletions and reprocessing
// they equal a recount.

async function chronology(campaignId: number) {
  const list = await rows<Record<string, number> & { day: string }>(
    `SELECT day, total_leads AS total, valid_leads AS valid, caution_leads AS caution, invalid_leads AS invalid,
            test_leads AS test, billable_leads AS billable
       FROM lead_statistics_chronologies WHERE campaign_id = ?1`,
    campaignId,
  );
  return Object.fromEntries(list.map(({ day, ...b }) => [day, b]));
}

describe("statistics", () => {
  it("bucketsOf follows the documented rules", () => {
    const s = (flag: "Valid" | "Caution" | "Invalid" | "Test" | null, processrStatus: number, advertiserBillable = false, deleted = false) =>
      bucketsOf({ flag, processrStatus, advertiserBillable, advertiserPayout: advertiserBillable ? "10.00" : "0.00", deleted });
    expect(s(null, 0)).toMatchObject({ total: 1, processing: 1, held: 0 });
    expect(s(null, 500)).toMatchObject({ total: 1, processing: 0, held: 1 });
    expect(s(null, 900)).toMatchObject({ total: 1, processing: 0, held: 0 });
    expect(s("Valid", 1000, true)).toMatchObject({ valid: 1, billable: 1, delivered: 1, processing: 0 });
    expect(s("Valid", 1000, false)).toMatchObject({ valid: 1, billable: 0, delivered: 1 });
    expect(s("Test", 1000)).toMatchObject({ test: 1, delivered: 1, billable: 0 });
    expect(s("Caution", 1000)).toMatchObject({ caution: 1, delivered: 0 });
    expect(Object.values(s("Valid", 1000, true, true)).every((v) => v === 0)).toBe(true);
  });

  it("holdsAllocation: within the allocation and being processed, or Valid", () => {
    const h = (flag: "Valid" | "Caution" | "Invalid" | "Test" | null, processrStatus: number, overAllocation = false, deleted = false) =>
      holdsAllocation({ flag, processrStatus, advertiserBillable: flag === "Valid", advertiserPayout: "0.00", deleted, overAllocation });
    expect([h(null, 0), h(null, 100), h("Valid", 1000)]).toEqual([true, true, true]);
    expect([h(null, 500), h(null, 510), h(null, 900), h("Invalid", 1000), h("Caution", 1000), h("Test", 1000)]).toEqual(
      [false, false, false, false, false, false],
    );
    expect([h(null, 0, true), h("Valid", 1000, true), h("Valid", 1000, false, true)]).toEqual([false, false, false]);
  });

  it("equal a recount after a concurrent burst of mixed leads", async () => {
    const days = [Date.parse("2026-03-01T10:00:00Z"), Date.parse("2026-03-02T23:59:59Z"), Date.now()];
    const shared = cleanData().email!;
    const kinds = [
      () => cleanData(),
      () => ({ ...cleanData(), lastName: "Test" }),
      () => ({ ...cleanData(), lastName: "Smiiith" }),
      () => ({ firstName: "Dup", lastName: "Licate", email: shared }),
      () => ({ firstName: "Only", email: cleanData().email! }),
    ];
    const ids601 = await Promise.all(
      Array.from({ length: 40 }, (_, i) => insertLead({ data: kinds[i % kinds.length]!(), createdTs: days[i % 3], overAllocation: i % 7 === 0 })),
    );
    const ids602 = await Promise.all(Array.from({ length: 5 }, () => insertLead({ campaignId: 602, formId: 36 })));

    // Four consumer batches at once, every lead delivered twice (at-least-once).
    const all = [...ids601, ...ids602];
    const chunks = [0, 1, 2, 3].map((k) => all.filter((_, i) => i % 4 === k));
    await Promise.all([...chunks, ...chunks].map((c) => processLeads(...c)));
    const flags = await rows<{ flag: string | null }>(`SELECT flag FROM leads WHERE campaign_id = 601`);
    expect(new Set(flags.map((f) => f.flag))).toEqual(new Set(["Valid", "Caution", "Invalid"]));

    // Then manual changes, deletions and reprocessing, all at once.
    const work = ids601.flatMap((id, i): Promise<unknown>[] => {
      if (i % 5 === 0) return [transitionLead(env, { leadId: id, to: "Test", source: "manual", author: "t" })];
      if (i % 5 === 1) return [transitionLead(env, { leadId: id, to: "Invalid", source: "webhook", author: "t" })];
      if (i % 5 === 2) return [transitionLead(env, { leadId: id, to: "Deleted", source: "delete", author: "t" })];
      if (i % 5 === 3) return [resetLeadForReprocess(env, { leadId: id, author: "t" }).then(() => processLeads(id))];
      return [transitionLead(env, { leadId: id, to: "Valid", source: "sync", author: "t" }), transitionLead(env, { leadId: id, to: "Test", source: "manual", author: "t" })];
    });
    await Promise.all([...work, ...ids602.map((id) => transitionLead(env, { leadId: id, to: "Test", source: "manual", author: "t" }))]);

    for (const campaign of [601, 602]) {
      expect(await campaignStats(campaign)).toEqual(await recountCampaign(env.DB, campaign));
      expect(await chronology(campaign)).toEqual(await recountChronology(env.DB, campaign));
    }
    const places = await rows<{ publisher_id: number; counter: number; recount: number }>(
      `SELECT cp.publisher_id, cp.reserved_leads AS counter, (${ALLOCATION_RECOUNT_SQL}) AS recount
         FROM campaign_publishers cp WHERE cp.campaign_id IN (601, 602)`,
    );
    for (const p of places) expect(p.counter, `publisher ${p.publisher_id}`).toBe(p.recount);
    const s = await campaignStats(601);
    expect(s.total).toBe(40 - 8);
    expect(s.processing).toBe(0);
    expect(Object.keys(await chronology(601))).toHaveLength(3);
  });
});
