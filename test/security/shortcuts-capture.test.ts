import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer, call, DEMO, form, loginAs } from "../helpers";
import { ACME_CLIENT } from "../integrations/helpers";
import { callWith, count, formBody, KEYS, roundTripCounter } from "../publisher/support";

// Capture's per-isolate shortcuts (issue 17) against what an attacker or an unlucky operator does
// between two requests: capture's kept request shapes (src/leads/capture-cache.ts) and, for an
// API-key grant token, its signature and its key's owner kept by the isolate
// (src/auth/publisher-tokens.ts: keptGrantOwner), the key then checked inside the write batch.
// Each case warms the isolate until a capture costs one D1 round trip, changes one thing, and
// expects the documented answer with nothing written.

const GRANT = "https://acme.cvtr.io/grants/api_key";
const AGENCY = DEMO.agencyPartners.publisherId; // 13: KEYS.agency601 is its key on campaign 601
const NORTHWIND = DEMO.northwind.publisherId; // 12
const path = (publisher: number, campaign = 601, form = 35) => `/api/v2.4/publisher/${publisher}/forms/${form}/campaign/${campaign}/leads?linkId=25`;

async function grantToken(apiKey: string = KEYS.agency601): Promise<string> {
  const res = await call("/oauth/v2/token", form({ grant_type: GRANT, client_id: ACME_CLIENT.clientId, client_secret: ACME_CLIENT.clientSecret, api_key: apiKey }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

let n = 0;
/** One lead POST through the app, its waitUntil work awaited. */
async function post(url: string, headers: Record<string, string>, db: D1Database = env.DB): Promise<Response> {
  n += 1;
  return callWith({ DB: db }, url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": `192.0.2.${n % 250}`, ...headers },
    body: formBody({ firstName: "Grace", lastName: "Hopper", email: `grace.${n}@example.org` }),
  });
}

/** A capture answered 201 from the kept shape: one D1 round trip. */
async function expectWarm(url: string, headers: Record<string, string>, what: string) {
  expect((await post(url, headers)).status, `${what}: first`).toBe(201);
  const d1 = roundTripCounter();
  expect((await post(url, headers, d1.db)).status, `${what}: kept`).toBe(201);
  expect(d1.trips, `${what}: one round trip`).toBe(1);
}

const run = (sql: string, ...binds: unknown[]) => env.DB.prepare(sql).bind(...binds).run();
const leads = () => count("SELECT count(*) AS n FROM leads");
const message = async (res: Response) => ((await res.json()) as { message?: string; error_description?: string });

describe("an API-key grant token whose key this isolate found live, on a kept request shape", () => {
  it("gets the documented refusal, writing nothing, once its campaign or its contract changed", async () => {
    const token = await grantToken();
    const cases: [what: string, set: string | string[], undo: string | string[], status: number, says: object][] = [
      ["campaign paused", "UPDATE campaigns SET paused = 1 WHERE id = 601", "UPDATE campaigns SET paused = 0 WHERE id = 601", 403, { message: "Campaign is paused" }],
      ["campaign deleted", "UPDATE campaigns SET deleted_ts = 1 WHERE id = 601", "UPDATE campaigns SET deleted_ts = NULL WHERE id = 601", 401, { error_description: "The access token provided is invalid." }],
      [
        "its campaign publisher's contract unsigned",
        `UPDATE campaign_publishers SET signed = 0 WHERE campaign_id = 601 AND publisher_id = ${AGENCY}`,
        `UPDATE campaign_publishers SET signed = 1 WHERE campaign_id = 601 AND publisher_id = ${AGENCY}`,
        403, { message: "Campaign publisher contract is not signed" },
      ],
      [
        "its campaign publisher moved to another campaign",
        `UPDATE campaign_publishers SET campaign_id = 602 WHERE campaign_id = 601 AND publisher_id = ${AGENCY}`,
        `UPDATE campaign_publishers SET campaign_id = 601 WHERE api_key = '${KEYS.agency601}'`,
        // The token is the bearer form of its key, which now opens campaign 602 only.
        403, { message: "Access denied." },
      ],
      [
        "its campaign publisher removed from the campaign",
        [`CREATE TABLE removed_cp AS SELECT * FROM campaign_publishers WHERE api_key = '${KEYS.agency601}'`, `DELETE FROM campaign_publishers WHERE api_key = '${KEYS.agency601}'`],
        ["INSERT INTO campaign_publishers SELECT * FROM removed_cp", "DROP TABLE removed_cp"],
        401, { error_description: "The access token provided is invalid." },
      ],
    ];
    for (const [what, set, undo, status, says] of cases) {
      await expectWarm(path(AGENCY), bearer(token), what);
      for (const sql of [set].flat()) await run(sql);
      try {
        const before = await leads();
        const res = await post(path(AGENCY), bearer(token));
        expect(res.status, what).toBe(status);
        expect(await message(res), what).toMatchObject(says);
        expect(await leads(), `${what}: nothing written`).toBe(before);
      } finally {
        for (const sql of [undo].flat()) await run(sql);
      }
    }
    expect((await post(path(AGENCY), bearer(token))).status).toBe(201);
  });

  it("is refused on another publisher's or another campaign's path, even when that shape is kept", async () => {
    const token = await grantToken();
    await expectWarm(path(AGENCY), bearer(token), "own path");
    // Publisher 12's shape on campaign 601 kept by an admin's captures; publisher 12 is on 602 too.
    const admin = bearer(await loginAs(DEMO.admin));
    await expectWarm(path(NORTHWIND), admin, "publisher 12's path");
    const before = await leads();
    for (const url of [path(NORTHWIND), path(AGENCY, 602, 36)]) {
      const res = await post(url, bearer(token));
      expect(res.status, url).toBe(403);
    }
    expect(await leads()).toBe(before);
  });

  it("an earlier token of a rotated key stays refused while a token of the new key is kept", async () => {
    const old = await grantToken();
    await expectWarm(path(AGENCY), bearer(old), "old key");
    const admin = bearer(await loginAs(DEMO.admin));
    const cp = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE api_key = ?1`).bind(KEYS.agency601).first<{ id: number }>();
    const rotated = await call(`/api/v4/campaign-publishers/${cp!.id}/rotate-key`, { method: "POST", headers: admin });
    expect(rotated.status).toBe(200);
    const newKey = ((await rotated.json()) as { apiKey: string }).apiKey;
    try {
      await expectWarm(path(AGENCY), bearer(await grantToken(newKey)), "new key");
      const before = await leads();
      const refused = await post(path(AGENCY), { ...bearer(old), "Idempotency-Key": `old-${crypto.randomUUID()}` });
      expect(refused.status).toBe(401);
      expect(await leads()).toBe(before);
      // Its other routes too: each reads the key.
      for (const url of ["/api/v2.4/publisher/fields/601", "/api/v2.4/publisher/links/601", `/api/v2.1/publisher/${AGENCY}/lead-result/1`]) {
        expect((await call(url, { headers: bearer(old) })).status, url).toBe(401);
      }
    } finally {
      await run("UPDATE campaign_publishers SET api_key = ?1 WHERE id = ?2", KEYS.agency601, cp!.id);
    }
  });
});

describe("capture's kept request shapes", () => {
  it("keep a publisher's allocation exact under parallel captures, with its cap changed after the shape was kept", async () => {
    const headers = { "X-Api-Key": KEYS.northwind601 };
    await expectWarm(path(NORTHWIND), headers, "northwind");
    const cp = `campaign_id = 601 AND publisher_id = ${NORTHWIND}`;
    await run(`UPDATE campaign_publishers SET cap = reserved_leads + 3 WHERE ${cp}`);
    try {
      const reserved = await count(`SELECT reserved_leads AS n FROM campaign_publishers WHERE ${cp}`);
      const since = await count("SELECT coalesce(max(id), 0) AS n FROM leads");
      const answers = await Promise.all(Array.from({ length: 12 }, () => post(path(NORTHWIND), headers)));
      expect(answers.map((r) => r.status)).toEqual(Array(12).fill(201));
      const within = `SELECT count(*) AS n FROM leads WHERE id > ${since} AND ${cp} AND over_allocation = `;
      expect(await count(`${within}0`)).toBe(3);
      expect(await count(`${within}1`)).toBe(9);
      expect(await count(`SELECT reserved_leads AS n FROM campaign_publishers WHERE ${cp}`)).toBe(reserved + 3);
    } finally {
      await run(`UPDATE campaign_publishers SET cap = NULL WHERE ${cp}`);
    }
  });

  it("are shared by the campaign webhook and the publisher API without sharing their credentials", async () => {
    const admin = bearer(await loginAs(DEMO.admin));
    await expectWarm(path(NORTHWIND), admin, "publisher API");
    const campaignKey = (await env.DB.prepare("SELECT api_key FROM campaigns WHERE id = 601").first<{ api_key: string }>())!.api_key;
    // The webhook's shape for publisher 12 is the publisher API's (campaign, form, link, publisher).
    const webhook = (key: string) => `/webhook/campaign/601/global-form/35/leads?campaignLinkId=25&publisherId=${NORTHWIND}&apikey=${key}`;
    const before = await leads();
    for (const key of ["not-the-campaign-key", KEYS.northwind601, "x"]) {
      const res = await post(webhook(key), {});
      expect(res.status, key).toBe(401);
    }
    expect(await leads()).toBe(before);
    // And the campaign's key still captures there, from the kept shape: the write batch alone, which
    // also checks that the key is no landing-page key (test/campaign-webhook/round-trips.test.ts).
    const d1 = roundTripCounter();
    expect((await post(webhook(campaignKey), {}, d1.db)).status).toBe(201);
    expect(d1.trips).toBe(1);
  });
});
