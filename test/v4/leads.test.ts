import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers";
import { addLeads, get, ids, tokens } from "./fixtures";

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  await addLeads();
  t = await tokens();
});

// The keys of the Convertr v4 API quick start Lead example, in its order.
const SEED_LEAD_KEYS = [
  "@id", "@type", "id", "publisherSubId", "formHash", "createdTs", "postcode", "addressLine1", "addressLine2", "addressLine3",
  "addressLine4", "firstName", "lastName", "email", "telephone", "integration", "overAllocation", "visible", "processrStatus",
  "score", "hardfail", "maxScore", "baseCurrencyPublisherPayout", "publisherPayout", "baseCurrencyAdvertiserPayout",
  "advertiserPayout", "advertiserBillable", "publisherBillable", "leadData", "leadNotes", "campaign", "qaResult", "leadFlag",
  "leadProcessrJobs",
];

describe("GET /api/v4/leads", () => {
  it("renders the collection and the Lead of Convertr's v4 API quick start", async () => {
    const { status, body, res } = await get("/api/v4/leads", t.admin);
    expect(status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/ld+json; charset=utf-8");
    expect(res.headers.get("Link")).toBe('<http://127.0.0.1:8787/api/v4/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"');
    expect(body).toMatchObject({ "@context": "/api/v4/contexts/Lead", "@id": "/api/v4/leads", "@type": "hydra:Collection", "hydra:totalItems": 6 });
    expect(body["hydra:view"]).toBeUndefined(); // one page, no query: no view (API Platform)
    const lead = body["hydra:member"].find((m: { id: number }) => m.id === 53001);
    const keys = Object.keys(lead);
    expect(keys.filter((k) => SEED_LEAD_KEYS.includes(k))).toEqual(SEED_LEAD_KEYS);
    expect(keys).toEqual(expect.arrayContaining(["leadHash", "updatedTs"]));
    expect(lead).toMatchObject({
      "@id": "/api/v4/leads/53001",
      "@type": "Lead",
      formHash: "37",
      createdTs: "2026-02-01T09:00:00+00:00",
      firstName: "Ada",
      email: "ada@example.org",
      visible: true,
      processrStatus: 1000,
      advertiserPayout: "12.00",
      baseCurrencyAdvertiserPayout: "12.00",
      campaign: "/api/v4/campaigns/603",
      qaResult: { "@id": "/api/v4/lead-qa-results/1", "@type": "LeadQaResult", name: "Valid" },
      leadFlag: { "@id": "/api/v4/lead-flags/1", "@type": "LeadFlag", name: "Valid" },
      leadNotes: [],
      leadProcessrJobs: [],
    });
    // The platform values first (computed, in the order of Convertr's Lead example), then the stored ones.
    expect(lead.leadData.map((d: { name: string }) => d.name)).toEqual(
      ["emailDomain", "createdDate", "country", "ip", "userAgent", "firstName", "lastName", "email", "leadHash"],
    );
    expect(lead.leadData.slice(0, 2)).toEqual([
      { "@type": "LeadData", name: "emailDomain", value: "@example.org" },
      { "@type": "LeadData", name: "createdDate", value: "2026-02-01" },
    ]);
    expect(lead.leadData[5]).toEqual({ "@id": expect.stringMatching(/^\/api\/v4\/lead-datas\/\d+$/), "@type": "LeadData", name: "firstName", value: "Ada" });
    expect(lead.leadHash).toBe(lead.leadData[8].value);
    const flags = Object.fromEntries(body["hydra:member"].map((m: any) => [m.id, m.leadFlag["@id"]]));
    expect(flags).toMatchObject({ 53101: "/api/v4/lead-flags/1", 53102: "/api/v4/lead-flags/3", 53103: "/api/v4/lead-flags/2", 53104: "/api/v4/lead-flags/4" });
  });

  it("lists the seed's hydra:search template for leads, then the console's flag and publisher filters", async () => {
    const { body } = await get("/api/v4/leads", t.admin);
    expect(body["hydra:search"]["hydra:template"]).toBe(
      "/api/v4/leads{?id,id[],email,campaign.id,campaign.id[],order[id],createdTs[before],createdTs[strictly_before],createdTs[after],createdTs[strictly_after],updatedTs[before],updatedTs[strictly_before],updatedTs[after],updatedTs[strictly_after]," +
        "leadFlag.id,leadFlag.id[],publisher.id,publisher.id[]}",
    );
    expect(body["hydra:search"]["hydra:mapping"][1]).toEqual({ "@type": "IriTemplateMapping", variable: "id[]", property: "id", required: false });
  });

  it("filters by id, id[], email, campaign.id (ids or IRIs) and dates", async () => {
    const q = async (s: string) => ids((await get(`/api/v4/leads?${s}`, t.admin)).body);
    expect(await q("id=53002")).toEqual([53002]);
    expect(await q("id[]=53002&id[]=53101")).toEqual([53002, 53101]);
    // PHP's indexed list form, which API Platform Admin's getMany sends (id[0]=IRI&id[1]=IRI).
    expect(await q("id[0]=/api/v4/leads/53002&id[1]=/api/v4/leads/53101")).toEqual([53002, 53101]);
    expect(await q("campaign.id[1]=603")).toEqual([53001, 53002]);
    expect(await q("email=ada@example.org")).toEqual([53001, 53101]); // associated campaigns
    expect(await q("campaign.id=603")).toEqual([53001, 53002]);
    expect(await q("campaign.id[]=/api/v4/campaigns/601&campaign.id[]=999")).toEqual([53101, 53102, 53103, 53104]);
    expect(await q("createdTs[after]=2026-03-02")).toEqual([53102, 53103, 53104]);
    expect(await q("createdTs[strictly_after]=2026-03-02T10:00:00Z")).toEqual([53103, 53104]);
    expect(await q("createdTs[before]=2026-03-02T10:00:00%2B00:00")).toEqual([53001, 53002, 53101, 53102]);
    expect(await q("createdTs[strictly_before]=2026-03-01T10:00:00Z&createdTs[after]=2026-02-01T09:01:00Z")).toEqual([53002]);
    expect(await q("updatedTs[after]=2030-01-01")).toEqual([]);
  });

  it("filters by flag (ids or IRIs) and publisher, combined with the campaign", async () => {
    const q = async (s: string) => ids((await get(`/api/v4/leads?${s}`, t.admin)).body);
    expect(await q("leadFlag.id=3")).toEqual([53102]);
    expect(await q("leadFlag.id[]=/api/v4/lead-flags/2&leadFlag.id[]=4")).toEqual([53103, 53104]);
    expect(await q("leadFlag.id=1&campaign.id=601")).toEqual([53101]);
    expect(await q("publisher.id=12&campaign.id=601")).toEqual([53104]);
    expect(await q("publisher.id=/api/v4/publishers/13")).toEqual([53101, 53102, 53103]);
    // A publisher user's filter on another publisher finds nothing of theirs.
    expect(ids((await get("/api/v4/leads?publisher.id=13", t.north)).body)).toEqual([]);
    const { body } = await get("/api/v4/leads?publisher.id=13&itemsPerPage=1", t.admin);
    expect(body["hydra:totalItems"]).toBe(3);
  });

  it("orders by id in either direction, with several orderings combined", async () => {
    expect(ids((await get("/api/v4/leads?order[id]=desc", t.admin)).body)).toEqual([53104, 53103, 53102, 53101, 53002, 53001]);
    expect(ids((await get("/api/v4/leads?order[id]=asc&campaign.id=603", t.admin)).body)).toEqual([53001, 53002]);
  });

  it("refuses bad filter values with a 400 Hydra error", async () => {
    for (const s of ["id=abc", "id[]=1&id[]=x", "createdTs[after]=yesterday", "order[id]=sideways", "page=0", "itemsPerPage=-1", "page=abc", "leadFlag.id=5", "leadFlag.id=Valid", "publisher.id=x", "id[0]=x"]) {
      const { status, body, res } = await get(`/api/v4/leads?${s}`, t.admin);
      expect(status, s).toBe(400);
      expect(res.headers.get("Content-Type")).toBe("application/ld+json; charset=utf-8");
      expect(body).toMatchObject({ "@context": "/api/v4/contexts/Error", "@type": "hydra:Error", "hydra:title": "An error occurred" });
    }
  });

  it("pages with itemsPerPage, keeping the other parameters in the view links with page last", async () => {
    const { body } = await get("/api/v4/leads?createdTs[after]=2026-01-01&itemsPerPage=2&page=2", t.admin);
    expect(ids(body)).toEqual([53101, 53102]);
    expect(body["hydra:totalItems"]).toBe(6);
    const base = "/api/v4/leads?createdTs%5Bafter%5D=2026-01-01&itemsPerPage=2&page=";
    expect(body["hydra:view"]).toEqual({
      "@id": `${base}2`,
      "@type": "hydra:PartialCollectionView",
      "hydra:first": `${base}1`,
      "hydra:last": `${base}3`,
      "hydra:previous": `${base}1`,
      "hydra:next": `${base}3`,
    });
    const last = (await get(`${base}3`, t.admin)).body;
    expect(ids(last)).toEqual([53103, 53104]);
    expect(last["hydra:view"]["hydra:next"]).toBeUndefined();
    const beyond = (await get(`${base}9`, t.admin)).body;
    expect(beyond["hydra:member"]).toEqual([]);
    expect(beyond["hydra:totalItems"]).toBe(6);
  });

  it("clamps itemsPerPage to 100 and defaults to 30", async () => {
    const values = Array.from({ length: 120 }, (_, i) => `(53104, 'extra${i}', 'v${i}')`).join(", ");
    await env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value) VALUES ${values}`).run();
    const big = (await get("/api/v4/lead-datas?lead.id=53104&itemsPerPage=500", t.admin)).body;
    expect(big["hydra:totalItems"]).toBe(123);
    expect(big["hydra:member"]).toHaveLength(100);
    expect(big["hydra:view"]["hydra:last"]).toBe("/api/v4/lead-datas?lead.id=53104&itemsPerPage=500&page=2");
    const dflt = (await get("/api/v4/lead-datas?lead.id=53104", t.admin)).body;
    expect(dflt["hydra:member"]).toHaveLength(30);
    expect(dflt["hydra:view"]["hydra:last"]).toBe("/api/v4/lead-datas?lead.id=53104&page=5");
  });

  it("returns an item, and 404 for an unknown one", async () => {
    const { status, body } = await get("/api/v4/leads/53101", t.admin);
    expect(status).toBe(200);
    expect(body).toMatchObject({ "@context": "/api/v4/contexts/Lead", "@id": "/api/v4/leads/53101", id: 53101, publisher: "/api/v4/publishers/13" });
    const missing = await get("/api/v4/leads/999999", t.admin);
    expect(missing.status).toBe(404);
    expect(missing.body["@type"]).toBe("hydra:Error");
  });
});

describe("access to leads", () => {
  it("shows a publisher user only its own publisher's leads, without leaking counts", async () => {
    const north = (await get("/api/v4/leads", t.north)).body;
    expect(ids(north)).toEqual([53001, 53002, 53104]);
    expect(north["hydra:totalItems"]).toBe(3);
    const agency = (await get("/api/v4/leads?email=ada@example.org", t.agency)).body;
    expect(ids(agency)).toEqual([53101]);
    expect(agency["hydra:totalItems"]).toBe(1);
    expect((await get("/api/v4/leads/53101", t.north)).status).toBe(404);
    expect((await get("/api/v4/leads/53001", t.agency)).status).toBe(404);
    expect((await get("/api/v4/leads/53001", t.north)).status).toBe(200);
  });

  it("scopes lead data, notes, job results and logs the same way", async () => {
    expect((await get("/api/v4/lead-datas?lead.id=53101", t.agency)).body["hydra:totalItems"]).toBe(3);
    expect((await get("/api/v4/lead-datas?lead.id=53101", t.north)).body["hydra:totalItems"]).toBe(0);
    const allNorth = (await get("/api/v4/lead-datas?itemsPerPage=100", t.north)).body;
    expect(new Set(allNorth["hydra:member"].map((d: { lead: string }) => d.lead))).toEqual(
      new Set(["/api/v4/leads/53001", "/api/v4/leads/53002", "/api/v4/leads/53104"]),
    );
    const item = (await get("/api/v4/lead-datas?lead.id=53101", t.admin)).body["hydra:member"][0]["@id"];
    expect((await get(item, t.north)).status).toBe(404);
    expect((await get(item, t.agency)).status).toBe(200);
  });

  it("requires a user token: none is 401, a campaign-publisher API key is not accepted", async () => {
    const none = await call("/api/v4/leads");
    expect(none.status).toBe(401);
    expect(none.headers.get("Link")).toContain("docs.jsonld");
    const apiKey = await call("/api/v4/leads", { headers: { "X-Api-Key": "0c463164f0d4fcb604d8fd9f80737476" } });
    expect(apiKey.status).toBe(401);
    const users = await get("/api/v4/users", t.north);
    expect(users.status).toBe(403);
  });

  it("answers unknown routes with 404 and unsupported methods with 405, in Hydra form", async () => {
    const unknown = await get("/api/v4/nothing-here", t.admin);
    expect(unknown.status).toBe(404);
    expect(unknown.body["@type"]).toBe("hydra:Error");
    const put = await call("/api/v4/leads/53001", { method: "PUT", headers: { ...t.admin, "Content-Type": "application/json" }, body: "{}" });
    expect(put.status).toBe(405);
    expect(put.headers.get("Allow")).toBe("GET, PATCH, DELETE");
    expect(((await put.json()) as { "@type": string })["@type"]).toBe("hydra:Error");
    const post = await call("/api/v4/currencies", { method: "POST", headers: t.admin });
    expect(post.status).toBe(405);
  });
});
