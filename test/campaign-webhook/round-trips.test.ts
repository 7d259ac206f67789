import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoCampaignWebhookKey, demoLandingPageKey } from "../../src/db/seed";
import { DEMO } from "../helpers";
import { callWith, count, formBody, roundTripCounter } from "../publisher/support";
import { send, tokens } from "../v4/fixtures";

// The campaign webhook's capture in one D1 round trip once warm, with the campaign key and with a
// landing-page key alike: the key's binding to a publisher is not looked up first but checked in
// capture's guarded write batch (CaptureInput.webhookKey). Between two requests, whatever changes
// (the key rotated or bound to another publisher, the campaign paused or its key changed) gets the
// documented answer, and nothing is written.

const NORTHWIND = DEMO.northwind.publisherId; // 12
const AGENCY = DEMO.agencyPartners.publisherId; // 13
let campaignKey: string;
let landing12: string;
beforeAll(async () => {
  campaignKey = await demoCampaignWebhookKey("acme", 601);
  landing12 = await demoLandingPageKey("acme", 601, NORTHWIND);
});

const url = (key: string, query = "") => `/webhook/campaign/601/global-form/35/leads?campaignLinkId=25&apikey=${key}${query}`;

let n = 0;
/** One lead POST through the app, its waitUntil work awaited. */
async function post(path: string, db: D1Database = env.DB, headers: Record<string, string> = {}, email?: string): Promise<Response> {
  n += 1;
  return callWith({ DB: db }, path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": `203.0.113.${n % 250}`, ...headers },
    body: formBody({ firstName: "Ada", lastName: "Lovelace", email: email ?? `ada.${n}@example.net` }),
  });
}

/** Captures twice: the second from the kept shape and key, in one round trip; the publisher it credited. */
async function expectWarm(path: string, what: string): Promise<number> {
  expect((await post(path)).status, `${what}: first`).toBe(201);
  const d1 = roundTripCounter();
  const res = await post(path, d1.db);
  expect(res.status, `${what}: kept`).toBe(201);
  expect(d1.trips, `${what}: one round trip`).toBe(1);
  const id = ((await res.json()) as { data: number }).data;
  return count("SELECT publisher_id AS n FROM leads WHERE id = ?1", id);
}

const run = (sql: string, ...binds: unknown[]) => env.DB.prepare(sql).bind(...binds).run();
const leads = () => count("SELECT count(*) AS n FROM leads");

/** The refusal's status and body, with nothing written. */
async function expectRefused(path: string, status: number, body: unknown, what: string) {
  const before = await leads();
  const res = await post(path);
  expect({ status: res.status, body: await res.json() }, what).toEqual({ status, body });
  expect(await leads(), `${what}: nothing written`).toBe(before);
}

const DENIED = { code: 401, message: "Access denied." };
const INACTIVE = { code: "403", error: "Campaign is inactive" };
const BOUND = { code: "403", error: "This key is bound to another publisher of the campaign." };

describe("campaign webhook capture in one D1 round trip", () => {
  it("with the campaign key, and with a landing-page key with or without publisherId, each crediting the documented publisher", async () => {
    expect(await expectWarm(url(campaignKey, `&publisherId=${AGENCY}`), "campaign key")).toBe(AGENCY);
    expect(await expectWarm(url(landing12), "landing-page key")).toBe(NORTHWIND);
    expect(await expectWarm(url(landing12, `&publisherId=${NORTHWIND}`), "landing-page key, its publisher named")).toBe(NORTHWIND);
  });

  it("with an Idempotency-Key and a landing-page key: one round trip, and a retry replays the first answer", async () => {
    await expectWarm(url(landing12), "warm");
    const key = { "Idempotency-Key": `landing-${crypto.randomUUID()}` };
    const d1 = roundTripCounter();
    const first = await post(url(landing12), d1.db, key, "grace@example.net");
    expect(first.status).toBe(201);
    expect(d1.trips).toBe(1);
    const total = await leads();
    const retry = await post(url(landing12), env.DB, key, "grace@example.net");
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await retry.text()).toBe(await first.text());
    expect((await post(url(landing12), env.DB, key, "someone.else@example.net")).status).toBe(422);
    expect(await leads()).toBe(total);
  });

  it("a landing-page key publisherId naming another publisher is 403 from the kept key too", async () => {
    await expectWarm(url(landing12), "warm");
    await expectRefused(url(landing12, `&publisherId=${AGENCY}`), 403, BOUND, "another publisher named");
  });

  it("a landing-page key rotated between two requests is refused on the next one; the new key captures", async () => {
    const { admin } = await tokens();
    const cp = await count("SELECT id AS n FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = ?1", NORTHWIND);
    await expectWarm(url(landing12), "before rotation");
    const rotated = await send(`/api/v4/campaign-publishers/${cp}/rotate-webhook-key`, "POST", undefined, admin);
    expect(rotated.status).toBe(200);
    await expectRefused(url(landing12), 401, DENIED, "old key");
    await expectRefused(url(landing12, `&publisherId=${NORTHWIND}`), 401, DENIED, "old key, its publisher named");
    expect(await expectWarm(url(rotated.body.webhookKey as string), "new key")).toBe(NORTHWIND);
    await run("UPDATE campaign_publishers SET webhook_key = ?1 WHERE id = ?2", landing12, cp);
  });

  it("a landing-page key bound to another publisher between two requests credits that one, and naming the first is 403", async () => {
    await expectWarm(url(landing12), "bound to 12");
    await expectWarm(url(landing12, `&publisherId=${NORTHWIND}`), "bound to 12, named");
    const swap = (to: number) =>
      env.DB.batch([
        env.DB.prepare("UPDATE campaign_publishers SET webhook_key = NULL WHERE webhook_key = ?1").bind(landing12),
        env.DB.prepare("UPDATE campaign_publishers SET webhook_key = ?1 WHERE campaign_id = 601 AND publisher_id = ?2").bind(landing12, to),
      ]);
    const agencyKey = await demoLandingPageKey("acme", 601, AGENCY);
    await swap(AGENCY);
    try {
      await expectRefused(url(landing12, `&publisherId=${NORTHWIND}`), 403, BOUND, "the first publisher named");
      expect(await expectWarm(url(landing12), "bound to 13")).toBe(AGENCY);
    } finally {
      await swap(NORTHWIND);
      await run("UPDATE campaign_publishers SET webhook_key = ?1 WHERE campaign_id = 601 AND publisher_id = ?2", agencyKey, AGENCY);
    }
    // Bound back: the key's publisher named again is no longer "another publisher".
    expect(await expectWarm(url(landing12, `&publisherId=${NORTHWIND}`), "bound back")).toBe(NORTHWIND);
  });

  it("a campaign paused between two requests is inactive for both kinds of key", async () => {
    await expectWarm(url(campaignKey, `&publisherId=${NORTHWIND}`), "campaign key");
    await expectWarm(url(landing12), "landing-page key");
    await run("UPDATE campaigns SET paused = 1 WHERE id = 601");
    try {
      await expectRefused(url(campaignKey, `&publisherId=${NORTHWIND}`), 403, INACTIVE, "campaign key");
      await expectRefused(url(landing12), 403, INACTIVE, "landing-page key");
    } finally {
      await run("UPDATE campaigns SET paused = 0 WHERE id = 601");
    }
    await expectWarm(url(landing12), "resumed");
  });

  it("a campaign key changed between two requests is 401; a landing-page key set to the campaign key's value binds it", async () => {
    await expectWarm(url(campaignKey, `&publisherId=${AGENCY}`), "campaign key");
    await run("UPDATE campaigns SET api_key = 'changed-campaign-key' WHERE id = 601");
    try {
      await expectRefused(url(campaignKey, `&publisherId=${AGENCY}`), 401, DENIED, "old campaign key");
      expect(await expectWarm(url("changed-campaign-key", `&publisherId=${AGENCY}`), "new campaign key")).toBe(AGENCY);
    } finally {
      await run("UPDATE campaigns SET api_key = ?1 WHERE id = 601", campaignKey);
    }
    // A landing-page key equal to the campaign key takes precedence, as the look-up always did.
    await expectWarm(url(campaignKey, `&publisherId=${AGENCY}`), "campaign key again");
    await run("UPDATE campaign_publishers SET webhook_key = ?1 WHERE campaign_id = 601 AND publisher_id = ?2", campaignKey, NORTHWIND);
    try {
      await expectRefused(url(campaignKey, `&publisherId=${AGENCY}`), 403, BOUND, "campaign key now bound to 12");
    } finally {
      await run("UPDATE campaign_publishers SET webhook_key = ?1 WHERE campaign_id = 601 AND publisher_id = ?2", landing12, NORTHWIND);
    }
  });

  it("keeps the campaign's cap exact under parallel landing-page captures from the kept key", async () => {
    await expectWarm(url(landing12), "warm");
    const required = await count("SELECT leads_required AS n FROM campaigns WHERE id = 601");
    await run(`UPDATE campaigns SET uncapped = 0, leads_required =
                 (SELECT billable_leads + processing_leads FROM campaign_statistics WHERE campaign_id = 601) + 3 WHERE id = 601`);
    const before = await leads();
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(url(landing12))));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 403, 403, 403, 403, 403, 403, 403]);
      for (const r of answers.filter((a) => a.status === 403)) expect(await r.json()).toEqual(INACTIVE);
      expect(await leads()).toBe(before + 3);
    } finally {
      await run("UPDATE campaigns SET leads_required = ?1 WHERE id = 601", required);
    }
  });
});
