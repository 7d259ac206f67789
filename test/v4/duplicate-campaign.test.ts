import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, json } from "../helpers";
import { KEYS } from "../publisher/support";
import { type Doc, get, send, tokens } from "./fixtures";

// POST /duplicate-campaign (Convertr's Campaign Duplication API) with an enterprise-level key that
// an admin issues through /api/v4/enterprise-api-keys; black-box.

let t: Awaited<ReturnType<typeof tokens>>;
let key = "";

const BASE_BODY = {
  campaignName: "Acme Autumn Launch",
  campaignType: 2,
  campaignId: 601,
  payout: "12.50",
  startDate: "2026-09-01",
  endDate: "2026-10-31",
  currency: "USD",
  leadsRequired: 400,
};

const duplicate = async (body: unknown, headers: Record<string, string> = { "x-api-key": key }) => {
  const res = await call("/duplicate-campaign", json(body, "POST", headers));
  return { status: res.status, body: (await res.json()) as Doc };
};
const count = async (path: string, campaignId: number) => (await get(`/api/v4/${path}?campaign.id=${campaignId}`, t.admin)).body["hydra:totalItems"] as number;

beforeAll(async () => {
  t = await tokens();
  const issued = await send("/api/v4/enterprise-api-keys", "POST", { name: "Ops automation" }, t.admin);
  expect(issued.status).toBe(201);
  key = issued.body.key;
});

describe("enterprise API keys (/api/v4/enterprise-api-keys)", () => {
  it("issues a key shown once, keeps only its hash, and is for admins only", async () => {
    expect(key).toMatch(/^ek_[0-9a-f]{64}$/);
    const { body } = await get("/api/v4/enterprise-api-keys", t.admin);
    expect(body["hydra:member"][0]).toMatchObject({ "@type": "EnterpriseApiKey", name: "Ops automation", active: true, createdBy: "/api/v4/users/167" });
    expect(JSON.stringify(body)).not.toContain(key.slice(3));
    const stored = await env.DB.prepare("SELECT key_hash FROM enterprise_api_keys").all<{ key_hash: string }>();
    expect(stored.results.some((r) => r.key_hash.includes(key.slice(3)))).toBe(false);
    expect((await send("/api/v4/enterprise-api-keys", "POST", { name: "mine" }, t.north)).status).toBe(403);
    expect((await get("/api/v4/enterprise-api-keys", t.north)).status).toBe(403);
    expect((await send("/api/v4/enterprise-api-keys", "POST", { name: "" }, t.admin)).body.violations[0].propertyPath).toBe("name");
  });
});

describe("POST /duplicate-campaign", () => {
  it("answers 201 {campaignId}: the documented fields set, the Processr jobs copied, nothing else by default", async () => {
    const res = await duplicate(BASE_BODY);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["campaignId"]);
    const id = res.body.campaignId as number;
    const campaign = (await get(`/api/v4/campaigns/${id}`, t.admin)).body;
    expect(campaign).toMatchObject({
      name: "Acme Autumn Launch", campaignType: 2, payout: "CPL", payoutAmount: "12.50", leadsRequired: 400,
      startTs: "2026-09-01T00:00:00+00:00", endTs: "2026-10-31T23:59:59+00:00", isTemplate: false,
    });
    expect(campaign.currency).toMatchObject({ "@id": "/api/v4/currencies/2" });
    expect(await count("campaign-processr-jobs", id)).toBe(await count("campaign-processr-jobs", 601));
    expect(await count("campaign-processr-jobs", id)).toBeGreaterThan(0);
    for (const part of ["forms", "campaign-links", "campaign-publishers"]) expect(await count(part, id)).toBe(0);
  });

  it("copies what each include flag names", async () => {
    const cases: [string, string][] = [["includeLandingPageForm", "forms"], ["includeLinks", "campaign-links"], ["includePublisher", "campaign-publishers"]];
    for (const [flag, part] of cases) {
      const res = await duplicate({ ...BASE_BODY, [flag]: true });
      expect(res.status, flag).toBe(201);
      const id = res.body.campaignId as number;
      expect(await count(part, 601)).toBeGreaterThan(0);
      expect(await count(part, id), flag).toBe(await count(part, 601));
      for (const [, other] of cases.filter(([f]) => f !== flag)) expect(await count(other, id), `${flag} → ${other}`).toBe(0);
    }
    // Copied publishers get their own keys.
    const withPublishers = (await duplicate({ ...BASE_BODY, includePublisher: true })).body.campaignId;
    const keys = await env.DB.prepare("SELECT api_key, campaign_id FROM campaign_publishers WHERE campaign_id IN (601, ?1)").bind(withPublishers).all<{ api_key: string }>();
    expect(new Set(keys.results.map((k) => k.api_key)).size).toBe(keys.results.length);
    // Value transforms: the source's setting goes with the flag only.
    await env.DB.prepare("UPDATE campaigns SET use_value_transforms = 1 WHERE id = 601").run();
    const on = (await duplicate({ ...BASE_BODY, includeValueTransforms: true })).body.campaignId;
    const off = (await duplicate(BASE_BODY)).body.campaignId;
    expect((await get(`/api/v4/campaigns/${on}`, t.admin)).body.useValueTransforms).toBe(true);
    expect((await get(`/api/v4/campaigns/${off}`, t.admin)).body.useValueTransforms).toBe(false);
    // Optional overrides.
    const managed = (await duplicate({ ...BASE_BODY, advertiserId: 319, accountManager: 167, testMode: true, internalOnly: true })).body.campaignId;
    expect((await get(`/api/v4/campaigns/${managed}`, t.admin)).body).toMatchObject({ testMode: true, internalOnly: true, accountManager: "/api/v4/users/167" });
  });

  it("names every refused field with 422, and creates nothing", async () => {
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM campaigns").first<{ n: number }>())!.n;
    const missing = await duplicate({});
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: Doc) => e.field).sort()).toEqual(
      ["campaignId", "campaignName", "campaignType", "currency", "endDate", "leadsRequired", "payout", "startDate"],
    );
    const bad = await duplicate({ ...BASE_BODY, campaignType: 10, startDate: "01/09/2026", currency: "usd", payout: "12.505", colour: "red" });
    expect(bad.body.errors).toEqual(expect.arrayContaining([
      { field: "campaignType", message: "Expected a campaign type from 1 to 9." },
      { field: "startDate", message: "Expected a date YYYY-MM-DD." },
      { field: "currency", message: "Expected an ISO 4217 currency code." },
      { field: "colour", message: "This field is not expected." },
    ]));
    expect(bad.body.errors.map((e: Doc) => e.field)).toContain("payout");
    const unknown = await duplicate({ ...BASE_BODY, campaignId: 999999, currency: "JPY", advertiserId: 424242, campaignManager: 999, endDate: "2026-08-01", includePermissions: true, includePayoutBands: true });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.map((e: Doc) => e.field).sort()).toEqual(
      ["advertiserId", "campaignId", "campaignManager", "currency", "endDate", "includePayoutBands", "includePermissions"],
    );
    expect(unknown.body.errors.find((e: Doc) => e.field === "campaignId").message).toBe("Campaign 999999 not found.");
    const notJson = await call("/duplicate-campaign", { method: "POST", headers: { "x-api-key": key, "Content-Type": "text/plain" }, body: "{}" });
    expect(notJson.status).toBe(415);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM campaigns").first<{ n: number }>())!.n).toBe(before);
  });

  it("takes only a live enterprise key: none, a wrong one, a user token, a publisher key and a revoked key are 401", async () => {
    expect((await duplicate(BASE_BODY, {})).status).toBe(401);
    expect((await duplicate(BASE_BODY, { "x-api-key": `ek_${"0".repeat(64)}` })).status).toBe(401);
    expect((await duplicate(BASE_BODY, t.admin)).status).toBe(401);
    expect((await duplicate(BASE_BODY, { "x-api-key": KEYS.northwind601 })).status).toBe(401);
    const spare = await send("/api/v4/enterprise-api-keys", "POST", { name: "Spare" }, t.admin);
    expect((await duplicate(BASE_BODY, { "x-api-key": spare.body.key })).status).toBe(201);
    expect((await call(spare.body["@id"], { method: "DELETE", headers: t.admin })).status).toBe(204);
    const revoked = await duplicate(BASE_BODY, { "x-api-key": spare.body.key });
    expect(revoked).toEqual({ status: 401, body: { code: 401, message: "The API key is not valid." } });
    expect((await get(spare.body["@id"], t.admin)).body.active).toBe(false);
    expect((await call("/duplicate-campaign", { headers: { "x-api-key": key } })).status).toBe(405);
  });
});
