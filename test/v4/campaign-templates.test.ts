import { beforeAll, describe, expect, it } from "vitest";
import { call, json } from "../helpers";
import { get, ids, send, tokens } from "./fixtures";

// isTemplate campaigns (Convertr's release notes: readable by admins and agencies, written by
// admins): a blueprint that admins duplicate from, which publisher users never see; every copy,
// through either duplication route, is a campaign of its own.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
  // Northwind (12) is on 602; it becomes a template.
  const marked = await send("/api/v4/campaigns/602", "PUT", { isTemplate: true }, t.admin);
  expect(marked.status).toBe(200);
  expect(marked.body.isTemplate).toBe(true);
});

describe("template campaigns", () => {
  it("are shown to admins only: a publisher user on one neither lists nor reads it, nor sees the flag", async () => {
    expect(ids((await get("/api/v4/campaigns", t.admin)).body)).toContain(602);
    expect(ids((await get("/api/v4/campaigns", t.north)).body)).toEqual([601, 603]);
    expect((await get("/api/v4/campaigns/602", t.north)).status).toBe(404);
    // Nor what hangs off it: its statistics, forms and links.
    expect((await get("/api/v4/statistics/602", t.north)).status).toBe(404);
    expect((await get("/api/v4/forms?campaign.id=602", t.north)).body["hydra:totalItems"]).toBe(0);
    expect((await get("/api/v4/forms/36", t.admin)).status).toBe(200);
    expect((await get("/api/v4/forms/36", t.north)).status).toBe(404);
    expect((await send("/api/v4/campaigns/602", "PUT", { isTemplate: false }, t.north)).status).toBe(404);
    const own = (await get("/api/v4/campaigns/601", t.north)).body;
    expect(own.isTemplate).toBeUndefined();
    expect((await send("/api/v4/campaigns/601", "PUT", { isTemplate: true }, t.north)).status).toBe(403);
    expect((await get("/api/v4/campaigns/601", t.admin)).body.isTemplate).toBe(false);
    expect((await send("/api/v4/campaigns/601", "PUT", { isTemplate: "yes" }, t.admin)).status).toBe(422);
  });

  it("are a source for /api/v4/campaigns/{id}/duplicate; the copy is not a template", async () => {
    const dup = await send("/api/v4/campaigns/602/duplicate", "POST", { name: "From the template", includePublishers: true }, t.admin);
    expect(dup.status).toBe(201);
    expect(dup.body).toMatchObject({ name: "From the template", isTemplate: false });
    // The copy's publisher (Northwind, copied with its contract) sees the copy, not the template.
    expect(ids((await get("/api/v4/campaigns", t.north)).body)).toContain(dup.body.id);
  });

  it("are a source for POST /duplicate-campaign; the copy is not a template", async () => {
    const issued = await send("/api/v4/enterprise-api-keys", "POST", { name: "Templates" }, t.admin);
    const res = await call("/duplicate-campaign", json({
      campaignName: "Autumn from template", campaignType: 5, campaignId: 602, payout: "9.00",
      startDate: "2026-09-01", endDate: "2026-10-31", currency: "GBP", leadsRequired: 50,
    }, "POST", { "x-api-key": issued.body.key }));
    expect(res.status).toBe(201);
    const { campaignId } = (await res.json()) as { campaignId: number };
    expect((await get(`/api/v4/campaigns/${campaignId}`, t.admin)).body).toMatchObject({ name: "Autumn from template", isTemplate: false, campaignType: 5 });
  });
});
