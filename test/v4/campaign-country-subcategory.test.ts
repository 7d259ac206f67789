import { beforeAll, describe, expect, it } from "vitest";
import { get, ids, send, tokens } from "./fixtures";

// Countries, categories and subcategories as v4 resources, referenced from campaigns by IRI as in
// Convertr's v4 API quick start, and the campaign filters and orderings on the country.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

// Convertr's v4 API quick start, the Campaign collection's hydra:search template, verbatim.
const SEED_TEMPLATE =
  "/api/v4/campaigns{?id,id[],name,order[id],order[name],createdTs[before],createdTs[strictly_before],createdTs[after],createdTs[strictly_after],updatedTs[before],updatedTs[strictly_before],updatedTs[after],updatedTs[strictly_after],startTs[before],startTs[strictly_before],startTs[after],startTs[strictly_after],endTs[before],endTs[strictly_before],endTs[after],endTs[strictly_after],order[statistics.invalidLeads],order[statistics.validLeads],order[statistics.cautionLeads],order[statistics.heldLeads],order[statistics.processingLeads],order[statistics.billableLeads],order[statistics.impressions],order[statistics.conversions],order[statistics.clicks],status[],order[advertiser.name],order[startTs],order[endTs],order[country.id],order[country.iso],order[statistics.activePublishers],order[statistics.totalSales],order[statistics.campaignRevenue.revenue],order[statistics.campaignRevenue.baseCurrencyRevenue],idName,campaignProcessrJobs.processrJob.id,campaignProcessrJobs.processrJob.id[],campaignPublishers.publisher.id,campaignPublishers.publisher.id[],advertiser.id,advertiser.id[],advertiser.name,campaignManager,accountManager,country.id,country.id[],country.iso,country.iso[]}";

describe("/api/v4/countries", () => {
  it("lists every ISO 3166-1 alpha-2 code, finds one by iso (any case), and is read-only", async () => {
    const all = await get("/api/v4/countries?itemsPerPage=100", t.north);
    expect(all.status).toBe(200);
    expect(all.body["hydra:totalItems"]).toBe(249);
    const gb = await get("/api/v4/countries?iso=gb", t.north);
    expect(gb.body["hydra:member"]).toEqual([{ "@id": "/api/v4/countries/77", "@type": "Country", id: 77, name: "United Kingdom", iso: "GB" }]);
    const two = await get("/api/v4/countries?iso[]=US&iso[]=FR&order[iso]=asc", t.admin);
    expect(two.body["hydra:member"].map((c: any) => c.iso)).toEqual(["FR", "US"]);
    expect((await get("/api/v4/countries?iso=GBR", t.admin)).status).toBe(400);
    expect((await get("/api/v4/countries/999", t.admin)).status).toBe(404);
    expect((await send("/api/v4/countries", "POST", { iso: "XX", name: "Nowhere" }, t.admin)).status).toBe(405);
  });
});

describe("/api/v4/categories and /api/v4/subcategories", () => {
  it("embed the category in each subcategory; admins add them, publishers only read", async () => {
    const sub = await get("/api/v4/subcategories/1", t.agency);
    expect(sub.status).toBe(200);
    expect(sub.body).toMatchObject({
      "@id": "/api/v4/subcategories/1", "@type": "Subcategory", id: 1, name: "Marketing",
      category: { "@id": "/api/v4/categories/1", "@type": "Category", id: 1, name: "Business" },
    });
    const cat = await send("/api/v4/categories", "POST", { name: "Finance" }, t.admin);
    expect(cat.status).toBe(201);
    const created = await send("/api/v4/subcategories", "POST", { name: "Insurance", category: cat.body["@id"] }, t.admin);
    expect(created.status).toBe(201);
    expect(created.body.category).toMatchObject({ id: cat.body.id, name: "Finance" });
    expect(ids((await get(`/api/v4/subcategories?category.id=${cat.body.id}`, t.admin)).body)).toEqual([created.body.id]);

    const badRef = await send("/api/v4/subcategories", "POST", { name: "Loans", category: "/api/v4/categories/999" }, t.admin);
    expect(badRef.status).toBe(422);
    expect(badRef.body.violations).toEqual([{ propertyPath: "category", message: 'Item not found for "/api/v4/categories/999".' }]);
    const twice = await send("/api/v4/subcategories", "POST", { name: "Insurance", category: cat.body.id }, t.admin);
    expect(twice.status).toBe(422);
    expect((await send("/api/v4/categories", "POST", { name: "Retail" }, t.agency)).status).toBe(403);
    // A category still holding subcategories cannot go.
    expect((await send(`/api/v4/categories/${cat.body.id}`, "DELETE", undefined, t.admin)).status).toBe(409);
  });
});

describe("a campaign's country and subcategory", () => {
  it("are set by IRI or id, embedded as in Convertr's example, and null again when cleared", async () => {
    const put = await send("/api/v4/campaigns/601", "PUT", { country: "/api/v4/countries/77", subcategory: 1 }, t.admin);
    expect(put.status).toBe(200);
    expect(put.body.subcategory).toEqual({ "@id": "/api/v4/subcategories/1", "@type": "Subcategory", id: 1, name: "Marketing" });
    expect(put.body.country).toEqual({ "@id": "/api/v4/countries/77", "@type": "Country", id: 77, name: "United Kingdom", iso: "GB" });
    // A publisher user on the campaign sees them too (reference data, not commercial terms).
    expect((await get("/api/v4/campaigns/601", t.agency)).body.country.iso).toBe("GB");

    const bad = await send("/api/v4/campaigns/601", "PUT", { country: "/api/v4/countries/999", subcategory: 999 }, t.admin);
    expect(bad.status).toBe(422);
    expect(bad.body.violations.map((v: any) => v.propertyPath).sort()).toEqual(["country", "subcategory"]);
    expect((await get("/api/v4/campaigns/601", t.admin)).body.country.id).toBe(77);
    const wrongType = await send("/api/v4/campaigns/601", "PUT", { subcategory: "/api/v4/forms/1" }, t.admin);
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.violations[0]).toMatchObject({ propertyPath: "subcategory" });

    const cleared = await send("/api/v4/campaigns/602", "PUT", { country: 233 }, t.admin);
    expect(cleared.body.country.iso).toBe("US");
    expect((await send("/api/v4/campaigns/602", "PUT", { country: null }, t.admin)).body.country).toBeNull();
  });

  it("filter on country.id / country.iso and order on country.id / country.iso", async () => {
    await send("/api/v4/campaigns/601", "PUT", { country: 77 }, t.admin); // GB
    await send("/api/v4/campaigns/602", "PUT", { country: 233 }, t.admin); // US
    await send("/api/v4/campaigns/603", "PUT", { country: 75 }, t.admin); // FR
    const q = async (s: string) => ids((await get(`/api/v4/campaigns?${s}`, t.admin)).body);
    expect(await q("country.id=77")).toEqual([601]);
    expect(await q("country.id[]=77&country.id[]=/api/v4/countries/233")).toEqual([601, 602]);
    expect(await q("country.iso=us")).toEqual([602]);
    expect(await q("country.iso[]=FR&country.iso[]=GB")).toEqual([601, 603]);
    expect(await q("order[country.iso]=asc")).toEqual([603, 601, 602]);
    expect(await q("order[country.id]=desc")).toEqual([602, 601, 603]);
    expect((await get("/api/v4/campaigns?country.iso=Britain", t.admin)).status).toBe(400);
    // A publisher user filters within its own campaigns.
    expect(ids((await get("/api/v4/campaigns?country.iso[]=GB&country.iso[]=FR", t.agency)).body)).toEqual([601]);
  });

  it("lists in hydra:search exactly the filters of Convertr's Campaign collection, in its order", async () => {
    const { body } = await get("/api/v4/campaigns", t.admin);
    expect(body["hydra:search"]["hydra:template"]).toBe(SEED_TEMPLATE);
  });
});
