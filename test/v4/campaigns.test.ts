import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { deriveCampaignStatus } from "../../src/db/campaign-status";
import { call, form } from "../helpers";
import { addLeads, get, ids, send, tokens } from "./fixtures";

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  await addLeads();
  t = await tokens();
});

// The Campaign keys of Convertr's v4 documentation, all rendered by leadflare.
const SEED_CAMPAIGN_KEYS = [
  "@id", "@type", "status", "id", "name", "startTs", "endTs", "exposePublisher", "exposePublisherSub", "updatedTs",
  "defaultThresholdScore", "integrate", "callCentre", "welcomeEmail", "doubleOptin", "scoreBaseRouting", "defaultSaleValue",
  "defaultSaleCurrency", "advertiser", "accountManager", "subcategory", "country", "campaignMarket", "contractValue",
  "performanceModel", "internalOnly", "defaultPublisherRate", "publisherPayoutType", "manualScore", "combinedJobScore",
  "useValueTransforms", "campaignManager", "pauseTs", "publisherTerms", "sendVoucher", "testMode", "sendMediakit",
  "conversionRate", "currency", "baseCurrencyContractValue", "endTsExtension", "unavailableCampaignLogic",
  "unavailableCampaignRedirectUrl", "holdPublisherOverDelivery", "valueBasedRouting", "autoSignPublisher",
  "variablePublisherPayout", "useScheduledDelivery", "uncapped", "facebookOfflineEventSetId", "facebookSystemUserAccessToken",
  "leadProcessDelay", "apiKey", "leadsRequired", "payoutAmount", "payout", "baseCurrencyPayoutAmount", "notes", "signName",
  "signRole", "signTs", "signIoNumber", "terms", "statistics", "signHash", "allowPublisherImportExport", "purchaseOrder",
  "referenceNumber", "purchaseOrderFile",
];

describe("GET /api/v4/campaigns", () => {
  it("renders the Convertr v4 API quick start Campaign with advertiser, currency and statistics embedded", async () => {
    await env.DB.prepare(
      "UPDATE campaign_statistics SET total_leads = 4, valid_leads = 3, invalid_leads = 1, billable_leads = 3, delivered_leads = 3, clicks = 2, conversions = 2, total_sales_cents = 0 WHERE campaign_id = 601",
    ).run();
    const { status, body } = await get("/api/v4/campaigns/601", t.admin);
    expect(status).toBe(200);
    expect(Object.keys(body).filter((k) => SEED_CAMPAIGN_KEYS.includes(k))).toEqual(SEED_CAMPAIGN_KEYS);
    expect(body).toMatchObject({
      "@context": "/api/v4/contexts/Campaign",
      "@id": "/api/v4/campaigns/601",
      "@type": "Campaign",
      status: "Active",
      name: "Acme Campaign",
      startTs: "2026-01-01T00:00:00+00:00",
      advertiser: { "@id": "/api/v4/advertisers/319", "@type": "Advertiser", id: 319, name: "Acme Corp" },
      currency: { "@id": "/api/v4/currencies/1", "@type": "Currency", id: 1, name: "GBP", symbol: "£", base: true, rateToBase: "1.0000" },
      contractValue: "10000.00",
      baseCurrencyContractValue: "10000.00",
      payoutAmount: "10.00",
      defaultPublisherRate: 55,
      combinedJobScore: 100,
      apiKey: expect.stringMatching(/^[0-9a-f]{32}$/),
      statistics: {
        totalLeads: 4, validLeads: 3, invalidLeads: 1, billableLeads: 3, deliveredLeads: 3, clicks: 2, conversions: 2,
        activePublishers: 2, unsignedContracts: 0, totalSales: 0,
        // Seed 004's own numbers: 3 billable × 10.00, publisher 55 % of it.
        campaignRevenue: { revenue: "30.00", baseCurrencyRevenue: "30.00", publisherPayout: "16.50", baseCurrencyPublisherPayout: "16.50" },
      },
    });
  });

  it("converts money to the base currency with currencies.rate_to_base", async () => {
    await env.DB.prepare("UPDATE campaigns SET currency_id = 2 WHERE id = 602").run(); // USD at 0.79
    const { body } = await get("/api/v4/campaigns/602", t.admin);
    expect(body.currency.name).toBe("USD");
    expect(body.payoutAmount).toBe("8.00");
    expect(body.baseCurrencyPayoutAmount).toBe("6.32");
  });

  it("derives the status, filters on it with status[], and agrees with deriveCampaignStatus", async () => {
    const { body } = await get("/api/v4/campaigns", t.admin);
    const status = Object.fromEntries(body["hydra:member"].map((c: any) => [c.id, c.status]));
    expect(status).toEqual({ 601: "Active", 602: "Inactive", 603: "Ended" });
    const rows = await env.DB.prepare(
      "SELECT c.*, coalesce(s.billable_leads, 0) AS billable FROM campaigns c LEFT JOIN campaign_statistics s ON s.campaign_id = c.id",
    ).all<any>();
    for (const r of rows.results) {
      const derived = deriveCampaignStatus(
        { startTs: r.start_ts, endTs: r.end_ts, paused: !!r.paused, contractSigned: !!r.contract_signed, leadsRequired: r.leads_required, uncapped: !!r.uncapped },
        r.billable,
      ).status;
      expect(ids((await get(`/api/v4/campaigns?status[]=${encodeURIComponent(derived)}`, t.admin)).body)).toContain(r.id);
    }
    expect(ids((await get("/api/v4/campaigns?status[]=Active&status[]=Ended", t.admin)).body)).toEqual([601, 603]);
    expect((await get("/api/v4/campaigns?status[]=Sleeping", t.admin)).status).toBe(400);
  });

  it("filters and orders as the seed's template lists", async () => {
    const q = async (s: string) => ids((await get(`/api/v4/campaigns?${s}`, t.admin)).body);
    expect(await q("order[statistics.validLeads]=desc&order[id]=desc")).toEqual([601, 603, 602]);
    expect(await q("order[statistics.campaignRevenue.revenue]=asc&order[id]=desc")).toEqual([602, 603, 601]);
    expect(await q("name=Acme%20Spring%20Launch")).toEqual([602]);
    expect(await q("idName=webinar")).toEqual([603]);
    expect(await q("idName=602")).toEqual([602]);
    expect(await q("advertiser.id=319&order[id]=desc")).toEqual([603, 602, 601]);
    expect(await q("advertiser.name=Nobody")).toEqual([]);
    expect(await q("campaignPublishers.publisher.id=13")).toEqual([601]);
    expect(await q("campaignProcessrJobs.processrJob.id=1001")).toEqual([601]); // duplicate email check, catalogue id 1001
    expect(await q("startTs[after]=2098-01-01")).toEqual([602]);
    expect(await q("endTs[strictly_before]=2099-12-31")).toEqual([]);
    const template = (await get("/api/v4/campaigns", t.admin)).body["hydra:search"]["hydra:template"] as string;
    for (const v of ["id[]", "order[statistics.validLeads]", "status[]", "order[advertiser.name]", "idName", "campaignPublishers.publisher.id[]", "endTs[strictly_after]"]) {
      expect(template).toContain(v);
    }
  });

  it("shows a publisher user only its campaigns, without the API key", async () => {
    const agency = (await get("/api/v4/campaigns", t.agency)).body;
    expect(ids(agency)).toEqual([601]);
    expect(agency["hydra:totalItems"]).toBe(1);
    expect(agency["hydra:member"][0].apiKey).toBeUndefined();
    expect((await get("/api/v4/campaigns/603", t.agency)).status).toBe(404);
    expect(ids((await get("/api/v4/campaigns", t.north)).body)).toEqual([601, 602, 603]);
    expect(ids((await get("/api/v4/campaign-publishers", t.agency)).body)).toHaveLength(1);
  });
});

describe("campaign lifecycle", () => {
  it("pauses and resumes through PUT", async () => {
    const paused = await send("/api/v4/campaigns/601", "PUT", { pauseTs: "2026-03-01T00:00:00+00:00", pauseReason: "Budget review" }, t.admin);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: "Paused", pauseTs: "2026-03-01T00:00:00+00:00", pauseReason: "Budget review" });
    const resumed = await send("/api/v4/campaigns/601", "PUT", { pauseTs: null }, t.admin);
    expect(resumed.body).toMatchObject({ status: "Active", pauseTs: null, pauseReason: null });
    // A future pauseTs is a scheduled pause (test/v4/scheduled-pause.test.ts): still Active.
    const future = await send("/api/v4/campaigns/601", "PUT", { pauseTs: "2099-01-01T00:00:00Z" }, t.admin);
    expect(future.status).toBe(200);
    expect(future.body).toMatchObject({ status: "Active", pauseTs: "2099-01-01T00:00:00+00:00" });
    await send("/api/v4/campaigns/601", "PUT", { pauseTs: null }, t.admin);
  });

  it("validates updates: types, unknown fields, date order, references", async () => {
    const bad = await send("/api/v4/campaigns/601", "PUT", { leadsRequired: -1, bogus: 1, advertiser: "/api/v4/advertisers/9" }, t.admin);
    expect(bad.status).toBe(422);
    expect(bad.body["@type"]).toBe("ConstraintViolationList");
    expect(bad.body.violations.map((v: any) => v.propertyPath).sort()).toEqual(["", "leadsRequired"].sort());
    const dates = await send("/api/v4/campaigns/601", "PUT", { endTs: "2025-01-01T00:00:00Z" }, t.admin);
    expect(dates.body.violations).toEqual([{ propertyPath: "endTs", message: "endTs must be after startTs." }]);
    const ref = await send("/api/v4/campaigns/601", "PUT", { advertiser: "/api/v4/advertisers/9" }, t.admin);
    expect(ref.status).toBe(422);
    expect(ref.body.violations[0]).toMatchObject({ propertyPath: "advertiser" });
    const text = await send("/api/v4/campaigns/601", "PUT", { name: "x" }, t.admin, "text/plain");
    expect(text.status).toBe(415);
    const publisher = await send("/api/v4/campaigns/601", "PUT", { name: "x" }, t.agency);
    expect(publisher.status).toBe(403);
    const invisible = await send("/api/v4/campaigns/603", "PUT", { name: "x" }, t.agency);
    expect(invisible.status).toBe(404);
    expect((await get("/api/v4/campaigns/601", t.admin)).body.name).toBe("Acme Campaign");
  });

  it("creates a campaign with a generated webhook key and empty statistics", async () => {
    const created = await send("/api/v4/campaigns", "POST", {
      name: "Autumn", advertiser: "/api/v4/advertisers/319", currency: 1, startTs: "2026-01-01T00:00:00Z", endTs: "2099-01-01T00:00:00Z", payoutAmount: "5",
    }, t.admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Autumn", status: "Active", payoutAmount: "5.00", statistics: { totalLeads: 0 } });
    expect(created.body.apiKey).toMatch(/^[0-9a-f]{32}$/);
    const missing = await send("/api/v4/campaigns", "POST", { name: "" }, t.admin);
    expect(missing.status).toBe(422);
    expect(missing.body.violations.map((v: any) => v.propertyPath)).toEqual(expect.arrayContaining(["name", "advertiser", "currency", "startTs", "endTs"]));
  });

  it("duplicates a campaign with its forms, fields and jobs, and soft-deletes", async () => {
    const dup = await send("/api/v4/campaigns/601/duplicate", "POST", { name: "Acme Campaign 2", includeLinks: true }, t.admin);
    expect(dup.status).toBe(201);
    const id = dup.body.id as number;
    expect(dup.body).toMatchObject({ name: "Acme Campaign 2", status: "Active", combinedJobScore: 100, statistics: { totalLeads: 0, activePublishers: 0 } });
    expect(dup.body.apiKey).not.toBe((await get("/api/v4/campaigns/601", t.admin)).body.apiKey);
    expect((await get(`/api/v4/forms?campaign.id=${id}`, t.admin)).body["hydra:totalItems"]).toBe(2);
    expect((await get(`/api/v4/campaign-links?campaign.id=${id}`, t.admin)).body["hydra:totalItems"]).toBe(3);
    expect((await get(`/api/v4/campaign-processr-jobs?campaign.id=${id}`, t.admin)).body["hydra:totalItems"]).toBe(
      (await get("/api/v4/campaign-processr-jobs?campaign.id=601", t.admin)).body["hydra:totalItems"],
    );
    const del = await send(`/api/v4/campaigns/${id}`, "DELETE", undefined, t.admin);
    expect(del.status).toBe(204);
    expect((await get(`/api/v4/campaigns/${id}`, t.admin)).status).toBe(404);
    expect((await get(`/api/v4/forms?campaign.id=${id}`, t.admin)).body["hydra:totalItems"]).toBe(0);
    expect((await send("/api/v4/campaigns/601/duplicate", "POST", {}, t.north)).status).toBe(403);
  });
});

describe("statusReason", () => {
  /** What the publisher API answers a lead posted now to the campaign's first form: its 403 message, or null. */
  async function refusal(campaignId: number): Promise<string | null> {
    const f = await env.DB.prepare("SELECT id FROM forms WHERE campaign_id = ?1 ORDER BY id LIMIT 1").bind(campaignId).first<{ id: number }>();
    const res = await call(`/api/v2.4/publisher/12/forms/${f!.id}/campaign/${campaignId}/leads`, form({ "form[email]": "reason@example.org" }, t.north));
    if (res.status !== 403) return null;
    return ((await res.json()) as { message: string }).message;
  }

  it("is the publisher API's own refusal of a lead posted now, null while the campaign is Active", async () => {
    // 603 met its allocation; once its endTs has passed too it is both fulfilled and ended.
    await env.DB.prepare("UPDATE campaigns SET end_ts = ?1 WHERE id = 603").bind(Date.parse("2026-03-01T00:00:00Z")).run();
    const reasons = Object.fromEntries((await get("/api/v4/campaigns", t.north)).body["hydra:member"].map((c: any) => [c.id, [c.status, c.statusReason]]));
    expect(reasons).toEqual({ 601: ["Active", null], 602: ["Inactive", "Campaign has not started yet"], 603: ["Ended", "Campaign is fulfilled"] });
    expect(await refusal(602)).toBe(reasons[602][1]);
    expect(await refusal(603)).toBe(reasons[603][1]);

    await send("/api/v4/campaigns/603", "PUT", { leadsRequired: 10 }, t.admin);
    const ended = (await get("/api/v4/campaigns/603", t.north)).body;
    expect([ended.status, ended.statusReason]).toEqual(["Ended", "Campaign has ended"]);
    expect(await refusal(603)).toBe("Campaign has ended");
  });
});
