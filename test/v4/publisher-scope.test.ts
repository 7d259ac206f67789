import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { recountCampaign, recountChronology } from "../../src/leads/statistics";
import { addLeads, type Doc, get, ids, tokens } from "./fixtures";

// Issue 5/7: a publisher user reads its own figures on the campaigns it is on, never the
// campaign-wide counts (which include other publishers' leads) nor the client's commercial terms.

let t: Awaited<ReturnType<typeof tokens>>;

// Beside fixtures.ts's 53101-53103 (publisher 13: Valid, Caution, Invalid) and 53104 (12: Test) on
// campaign 601, and the fixture's 53001/53002 (12, Valid, campaign 603).
const EXTRA: [id: number, campaign: number, publisher: number, flag: string | null, status: number, billable: number, deleted: boolean, created: string][] = [
  [53201, 601, 12, "Valid", 1000, 1, false, "2026-03-04T12:00:00Z"],
  [53202, 601, 12, null, 500, 0, false, "2026-03-05T10:00:00Z"], // held
  [53203, 601, 13, "Valid", 1000, 1, true, "2026-03-05T11:00:00Z"], // deleted: counts for nobody
  [53204, 601, 13, null, 0, 0, false, "2026-03-06T10:00:00Z"], // processing; a day only 13 captured on
  [53205, 603, 12, "Valid", 1000, 1, false, "2026-02-02T10:00:00Z"],
  [53206, 603, 12, "Valid", 1000, 1, false, "2026-02-02T11:00:00Z"],
];

const zero = { totalLeads: 0, invalidLeads: 0, cautionLeads: 0, validLeads: 0, testLeads: 0, billableLeads: 0, deliveredLeads: 0, heldLeads: 0, processingLeads: 0 };
// Worked out by hand from the rows above.
const OWN_601 = {
  12: { ...zero, totalLeads: 3, validLeads: 1, testLeads: 1, billableLeads: 1, deliveredLeads: 2, heldLeads: 1 },
  13: { ...zero, totalLeads: 4, validLeads: 1, cautionLeads: 1, invalidLeads: 1, deliveredLeads: 1, processingLeads: 1 },
};
const WHOLE_601 = { totalLeads: 7, invalidLeads: 1, cautionLeads: 1, validLeads: 2, testLeads: 1, billableLeads: 1, deliveredLeads: 3, heldLeads: 1, processingLeads: 1 };

const COMMERCIAL = [
  "contractValue", "baseCurrencyContractValue", "payoutAmount", "baseCurrencyPayoutAmount", "defaultPublisherRate", "defaultSaleValue",
  "defaultSaleCurrency", "purchaseOrder", "referenceNumber", "signName", "signRole", "signTs", "signIoNumber", "signHash", "terms", "notes",
];
const CAMPAIGN_WIDE = ["impressions", "conversions", "clicks", "lastConversion"];

/** Running totals as the capture and the lead objects keep them: equal to a recount. */
async function storeTotals(campaignId: number) {
  const b = await recountCampaign(env.DB, campaignId);
  await env.DB.prepare(
    `INSERT INTO campaign_statistics (campaign_id, total_leads, valid_leads, caution_leads, invalid_leads, test_leads, billable_leads, delivered_leads, held_leads, processing_leads, clicks, impressions)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 40, 900)
     ON CONFLICT (campaign_id) DO UPDATE SET total_leads = ?2, valid_leads = ?3, caution_leads = ?4, invalid_leads = ?5, test_leads = ?6,
       billable_leads = ?7, delivered_leads = ?8, held_leads = ?9, processing_leads = ?10, clicks = 40, impressions = 900`,
  ).bind(campaignId, b.total, b.valid, b.caution, b.invalid, b.test, b.billable, b.delivered, b.held, b.processing).run();
  await env.DB.prepare("DELETE FROM lead_statistics_chronologies WHERE campaign_id = ?").bind(campaignId).run();
  for (const [day, d] of Object.entries(await recountChronology(env.DB, campaignId))) {
    await env.DB.prepare(
      "INSERT INTO lead_statistics_chronologies (campaign_id, day, total_leads, valid_leads, caution_leads, invalid_leads, test_leads, billable_leads) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).bind(campaignId, day, d.total, d.valid, d.caution, d.invalid, d.test, d.billable).run();
  }
}

beforeAll(async () => {
  await addLeads();
  await env.DB.batch(
    EXTRA.map(([id, campaign, publisher, flag, status, billable, deleted, created]) =>
      env.DB.prepare(
        `INSERT INTO leads (id, campaign_id, publisher_id, form_id, lead_hash, qa_result, flag, processr_status, advertiser_billable, email, created_ts, updated_ts, deleted_ts)
         VALUES (?1, ?2, ?3, 35, 'scope' || ?1, ?4, ?4, ?5, ?6, 'p' || ?1 || '@example.org', ?7, ?7, ?8)`,
      ).bind(id, campaign, publisher, flag, status, billable, Date.parse(created), deleted ? Date.parse(created) + 1 : null),
    ),
  );
  for (const c of [601, 602, 603]) await storeTotals(c);
  t = await tokens();
});

const leadFigures = (s: Doc) => Object.fromEntries(Object.keys(zero).map((k) => [k, s[k]]));
const ownCount = async (publisherId: number, campaignId: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM leads WHERE publisher_id = ? AND campaign_id = ? AND deleted_ts IS NULL").bind(publisherId, campaignId).first<{ n: number }>())!.n;

describe("GET /api/v4/statistics", () => {
  it("gives admins the campaign's totals and each publisher only its own, which add up to them", async () => {
    const admin = (await get("/api/v4/statistics/601", t.admin)).body;
    expect(admin).toMatchObject({ ...WHOLE_601, id: 601, campaign: "/api/v4/campaigns/601", clicks: 40, impressions: 900 });
    const north = await get("/api/v4/statistics/601", t.north);
    const agency = await get("/api/v4/statistics/601", t.agency);
    expect(north.status).toBe(200);
    expect(leadFigures(north.body)).toEqual(OWN_601[12]);
    expect(leadFigures(agency.body)).toEqual(OWN_601[13]);
    for (const k of Object.keys(zero)) expect(north.body[k] + agency.body[k], k).toBe(admin[k]);
    for (const k of CAMPAIGN_WIDE) {
      expect(north.body, k).not.toHaveProperty(k);
      expect(agency.body, k).not.toHaveProperty(k);
    }
  });

  it("lists one item per campaign the publisher is on, counting only those, with its own figures", async () => {
    const north = (await get("/api/v4/statistics?itemsPerPage=100", t.north)).body;
    expect(ids(north)).toEqual([601, 602, 603]);
    expect(north["hydra:totalItems"]).toBe(3);
    const byId = Object.fromEntries(north["hydra:member"].map((m: Doc) => [m.id, m]));
    expect(leadFigures(byId[601])).toEqual(OWN_601[12]);
    expect(byId[602]).toMatchObject(zero); // no leads yet: zeros, not a 404
    expect(byId[603].totalLeads).toBe(await ownCount(12, 603));
    const agency = (await get("/api/v4/statistics", t.agency)).body;
    expect(ids(agency)).toEqual([601]);
    expect(agency["hydra:totalItems"]).toBe(1);
    expect((await get("/api/v4/statistics?campaign.id=602", t.agency)).body["hydra:totalItems"]).toBe(0);
    expect((await get("/api/v4/statistics/602", t.agency)).status).toBe(404);
  });

  it("orders a publisher's items by its own figures, not the campaign's", async () => {
    // Campaign-wide 601 (7) > 603 (4); Northwind's own 603 (4) > 601 (3).
    expect(await ownCount(12, 603)).toBeGreaterThan(OWN_601[12].totalLeads);
    expect(ids((await get("/api/v4/statistics?order[totalLeads]=desc", t.admin)).body)).toEqual([601, 603, 602]);
    expect(ids((await get("/api/v4/statistics?order[totalLeads]=desc", t.north)).body)).toEqual([603, 601, 602]);
  });
});

describe("GET /api/v4/lead-statistics-chronologies", () => {
  const days = (body: Doc) => Object.fromEntries(body["hydra:member"].map((m: Doc) => [m.day, m.totalLeads]));
  const itemId = (day: string) => 601 * 100_000 + Date.parse(`${day}T00:00:00Z`) / 86_400_000;

  it("lists for a publisher only the days it captured on, with its own figures", async () => {
    const admin = (await get("/api/v4/lead-statistics-chronologies?campaign.id=601", t.admin)).body;
    expect(days(admin)).toEqual({ "2026-03-01": 1, "2026-03-02": 1, "2026-03-03": 1, "2026-03-04": 2, "2026-03-05": 1, "2026-03-06": 1 });
    const north = (await get("/api/v4/lead-statistics-chronologies?campaign.id=601", t.north)).body;
    expect(north["hydra:totalItems"]).toBe(2);
    expect(north["hydra:member"]).toMatchObject([
      { day: "2026-03-04", totalLeads: 2, validLeads: 1, testLeads: 1, billableLeads: 1, cautionLeads: 0, invalidLeads: 0 },
      { day: "2026-03-05", totalLeads: 1, validLeads: 0, billableLeads: 0 },
    ]);
    // 13's only lead on 03-05 is deleted, so that day is not its.
    const agency = (await get("/api/v4/lead-statistics-chronologies?campaign.id=601", t.agency)).body;
    expect(days(agency)).toEqual({ "2026-03-01": 1, "2026-03-02": 1, "2026-03-03": 1, "2026-03-06": 1 });
    expect(agency["hydra:totalItems"]).toBe(4);
    expect((await get("/api/v4/lead-statistics-chronologies", t.agency)).body["hydra:totalItems"]).toBe(4);
  });

  it("answers 404 for another publisher's day, and the admin sees it", async () => {
    expect((await get(`/api/v4/lead-statistics-chronologies/${itemId("2026-03-06")}`, t.north)).status).toBe(404);
    expect((await get(`/api/v4/lead-statistics-chronologies/${itemId("2026-03-04")}`, t.agency)).status).toBe(404);
    const own = await get(`/api/v4/lead-statistics-chronologies/${itemId("2026-03-04")}`, t.north);
    expect(own.body).toMatchObject({ day: "2026-03-04", totalLeads: 2 });
    expect((await get(`/api/v4/lead-statistics-chronologies/${itemId("2026-03-04")}`, t.admin)).body.totalLeads).toBe(2);
    expect((await get(`/api/v4/lead-statistics-chronologies/${itemId("2026-03-03")}`, t.admin)).body.totalLeads).toBe(1);
  });
});

describe("Campaign for publisher users", () => {
  it("embeds its own figures only, and none of the campaign's counters, contracts or revenue", async () => {
    const admin = (await get("/api/v4/campaigns/601", t.admin)).body;
    expect(admin.statistics).toMatchObject({ ...WHOLE_601, clicks: 40, impressions: 900, activePublishers: 2, campaignRevenue: { revenue: "10.00" } });
    expect((await get("/api/v4/campaigns/601", t.north)).body.statistics).toEqual(OWN_601[12]);
    expect((await get("/api/v4/campaigns/601", t.agency)).body.statistics).toEqual(OWN_601[13]);
  });

  it("never shows a publisher the client's commercial terms; admins keep them", async () => {
    const admin = (await get("/api/v4/campaigns/601", t.admin)).body;
    for (const k of COMMERCIAL) expect(admin, k).toHaveProperty(k);
    for (const who of [t.north, t.agency]) {
      const item = (await get("/api/v4/campaigns/601", who)).body;
      const list = (await get("/api/v4/campaigns", who)).body["hydra:member"] as Doc[];
      for (const campaign of [item, ...list]) {
        for (const k of COMMERCIAL) expect(campaign, k).not.toHaveProperty(k);
        expect(campaign.name).toBeTruthy(); // the rest of the campaign is still there
      }
    }
    // Documented as admin-only, so a generic client knows why they may be missing.
    const docs = (await (await import("../helpers")).call("/api/v4/docs.jsonld").then((r) => r.json())) as Doc;
    const campaign = docs["hydra:supportedClass"].find((c: Doc) => c["@id"] === "#Campaign");
    const described = Object.fromEntries(campaign["hydra:supportedProperty"].map((p: Doc) => [p["hydra:title"], p["hydra:description"]]));
    for (const k of COMMERCIAL) expect(described[k], k).toMatch(/admins only/);
  });

  it("orders by the publisher's own figures and ignores orderings on what it does not see", async () => {
    // Only Agency Partners has an invalid lead (on 601): the campaign-wide order would reveal it.
    expect(ids((await get("/api/v4/campaigns?order[statistics.invalidLeads]=asc", t.admin)).body)).toEqual([602, 603, 601]);
    expect(ids((await get("/api/v4/campaigns?order[statistics.invalidLeads]=asc", t.north)).body)).toEqual([601, 602, 603]);
    // Northwind's own valid leads: 603 → 4, 601 → 1, 602 → 0.
    expect(ids((await get("/api/v4/campaigns?order[statistics.validLeads]=desc", t.north)).body)).toEqual([603, 601, 602]);
    const revenue = "order[statistics.campaignRevenue.revenue]=desc";
    expect(ids((await get(`/api/v4/campaigns?${revenue}`, t.admin)).body)).toEqual([603, 601, 602]);
    expect(ids((await get(`/api/v4/campaigns?${revenue}`, t.north)).body)).toEqual([601, 602, 603]);
    expect(ids((await get("/api/v4/campaigns?order[statistics.activePublishers]=asc", t.north)).body)).toEqual([601, 602, 603]);
  });
});

describe("the campaignPublishers.publisher.id filter", () => {
  it("tells a publisher only about itself, never which campaigns another publisher is on", async () => {
    // Agency Partners (13) is on 601 only; Northwind (12) is on 601, 602 and 603.
    expect(ids((await get("/api/v4/campaigns?campaignPublishers.publisher.id=13", t.admin)).body)).toEqual([601]);
    const asNorthwind = (await get("/api/v4/campaigns?campaignPublishers.publisher.id=13", t.north)).body;
    expect(asNorthwind["hydra:totalItems"]).toBe(0);
    expect(ids((await get("/api/v4/campaigns?campaignPublishers.publisher.id[]=12&campaignPublishers.publisher.id[]=13", t.north)).body)).toEqual([601, 602, 603]);
    expect(ids((await get("/api/v4/campaigns?campaignPublishers.publisher.id=13", t.agency)).body)).toEqual([601]);
  });
});
