import { beforeAll, describe, expect, it } from "vitest";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import { call } from "../helpers";
import { count, formBody, postForm, SIMPLE } from "../publisher/support";
import { get, send, tokens } from "../v4/fixtures";

// Landing-page keys of the campaign webhook are bound to one publisher of the campaign: the leads
// a page captures go to that publisher, and naming another one is refused, so a key read from a
// page's source cannot credit somebody else. Keys are shown and rotated through v4.

let t: Awaited<ReturnType<typeof tokens>>;
const landing = new Map<number, { id: number; key: string }>(); // publisher → its contract on campaign 601
beforeAll(async () => {
  t = await tokens();
  for (const cp of (await get("/api/v4/campaign-publishers?campaign.id=601", t.admin)).body["hydra:member"]) {
    landing.set(cp.publisher.id, { id: cp.id, key: cp.webhookKey });
  }
});

const leadsUrl = (campaign: number, query: string) => `/webhook/campaign/${campaign}/global-form/35/leads?campaignLinkId=25&${query}`;
const leads = () => count("SELECT count(*) AS n FROM leads");
const lastLead = () => count("SELECT publisher_id AS n FROM leads ORDER BY id DESC LIMIT 1");

describe("landing-page keys of the campaign webhook", () => {
  it("exist per contract, random, shown to admins and to that publisher only", async () => {
    expect(landing.get(12)!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(landing.get(13)!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(landing.get(12)!.key).not.toBe(landing.get(13)!.key);
    const mine = await get(`/api/v4/campaign-publishers/${landing.get(12)!.id}`, t.north);
    expect(mine.body.webhookKey).toBe(landing.get(12)!.key);
    expect((await get(`/api/v4/campaign-publishers/${landing.get(13)!.id}`, t.north)).status).toBe(404);
  });

  it("credit the key's own publisher, and refuse with 403 a publisherId naming another, writing nothing", async () => {
    const key12 = landing.get(12)!.key;
    const before = await leads();
    const other = await postForm(leadsUrl(601, `apikey=${key12}&publisherId=13`), formBody(SIMPLE));
    expect({ status: other.status, body: await other.json() }).toEqual({
      status: 403,
      body: { code: "403", error: "This key is bound to another publisher of the campaign." },
    });
    expect(await leads()).toBe(before);

    // Without publisherId (campaign 601 has several publishers) and with its own: publisher 12.
    expect((await postForm(leadsUrl(601, `apikey=${key12}`), formBody({ ...SIMPLE, email: "page1@example.org" }))).status).toBe(201);
    expect(await lastLead()).toBe(12);
    expect((await postForm(leadsUrl(601, "publisherId=12"), formBody({ ...SIMPLE, email: "page2@example.org" }), { "X-Api-Key": key12 })).status).toBe(201);
    expect(await lastLead()).toBe(12);
    expect(await leads()).toBe(before + 2);
  });

  it("open their own campaign only, the read endpoints included", async () => {
    const key12 = landing.get(12)!.key;
    expect((await postForm(`/webhook/campaign/602/global-form/36/leads?campaignLinkId=25&apikey=${key12}`, formBody(SIMPLE))).status).toBe(401);
    expect((await call(`/webhook/campaign/601/links?apikey=${key12}`)).status).toBe(200);
    expect((await call(`/webhook/campaign/602/links?apikey=${key12}`)).status).toBe(401);
  });

  it("the campaign key still names any publisher of the campaign (Convertr's form)", async () => {
    const campaignKey = await demoCampaignWebhookKey("acme", 601);
    expect((await postForm(leadsUrl(601, `apikey=${campaignKey}&publisherId=13`), formBody({ ...SIMPLE, email: "server@example.org" }))).status).toBe(201);
    expect(await lastLead()).toBe(13);
  });

  it("are rotated by an admin: the old key stops working at once", async () => {
    const { id, key: old } = landing.get(13)!;
    expect((await send(`/api/v4/campaign-publishers/${id}/rotate-webhook-key`, "POST", undefined, t.agency)).status).toBe(403);
    const rotated = await send(`/api/v4/campaign-publishers/${id}/rotate-webhook-key`, "POST", undefined, t.admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhookKey).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.body.webhookKey).not.toBe(old);
    expect(rotated.body.apiKey).toBe((await get(`/api/v4/campaign-publishers/${id}`, t.admin)).body.apiKey);
    expect((await call(`/webhook/campaign/601/links?apikey=${old}`)).status).toBe(401);
    expect((await call(`/webhook/campaign/601/links?apikey=${rotated.body.webhookKey}`)).status).toBe(200);
  });
});
