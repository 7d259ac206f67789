import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, DEMO, loginAs } from "../helpers";
import { count, formBody, leadsPath, postForm, SIMPLE } from "./support";

// Idempotency-Key retries, and many parallel posts: none lost, none duplicated.
let token: string;
beforeAll(async () => {
  token = await loginAs(DEMO.northwind);
});

const post = (key: string, fields: Record<string, string> = SIMPLE) =>
  postForm(leadsPath(12, 35, 601), formBody(fields), { ...bearer(token), "Idempotency-Key": key });

describe("Idempotency-Key", () => {
  it("a retry with the same key and body returns the first response and creates no second lead", async () => {
    const leads = await count("SELECT count(*) AS n FROM leads");
    const first = await post("retry-1");
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();

    const again = await post("retry-1");
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(leads + 1);
  });

  it("the same key with another body is refused with 422 and stores nothing", async () => {
    await post("retry-2");
    const leads = await count("SELECT count(*) AS n FROM leads");
    const other = await post("retry-2", { ...SIMPLE, firstName: "Someone Else" });
    expect({ status: other.status, body: await other.json() }).toEqual({
      status: 422, body: { code: 422, message: "Idempotency-Key has already been used with a different request." },
    });
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(leads);
  });

  it("keys are scoped to the publisher: another publisher's same key is a new request", async () => {
    const admin = await loginAs(DEMO.admin);
    await post("shared-key");
    const res = await postForm(leadsPath(13, 35, 601), formBody(SIMPLE), { ...bearer(admin), "Idempotency-Key": "shared-key" });
    expect(res.status).toBe(201);
  });

  it("parallel requests with one key create exactly one lead and all get its response", async () => {
    const leads = await count("SELECT count(*) AS n FROM leads");
    const responses = await Promise.all(Array.from({ length: 10 }, () => post("parallel-key")));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(bodies).size).toBe(1);
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(leads + 1);
  });

  it("a failed validation does not use up the key", async () => {
    const bad = await post("fix-and-retry", { ...SIMPLE, email: "nope" });
    expect(bad.status).toBe(400);
    const good = await post("fix-and-retry");
    expect(good.status).toBe(201);
  });
});

describe("concurrency", () => {
  it("50 parallel posts give 50 distinct leads and statistics that count all of them", async () => {
    // A campaign of its own, so that only these posts move its statistics.
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, leads_required, api_key)
                      VALUES (650, 'Load test', 319, 1, 0, 4102444800000, 0, 'load-test-webhook-key')`),
      env.DB.prepare(`INSERT INTO campaign_publishers (campaign_id, publisher_id, api_key) VALUES (650, 12, 'load-test-publisher-key')`),
      env.DB.prepare(`INSERT INTO forms (id, campaign_id, name) VALUES (650, 650, 'Load form')`),
      env.DB.prepare(`INSERT INTO form_fields (form_id, name, required, position) VALUES (650, 'n', 1, 0)`),
    ]);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postForm(leadsPath(12, 650, 650), formBody({ n: String(i) }), bearer(token))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { data: number }).data));
    expect(new Set(ids).size).toBe(50);

    expect(await count("SELECT count(*) AS n FROM leads WHERE campaign_id = 650")).toBe(50);
    expect(await count("SELECT count(DISTINCT lead_hash) AS n FROM leads WHERE campaign_id = 650")).toBe(50);
    const values = await env.DB.prepare(
      `SELECT d.value FROM lead_datas d JOIN leads l ON l.id = d.lead_id WHERE l.campaign_id = 650 AND d.name = 'n'`,
    ).all<{ value: string }>();
    expect(values.results.map((v) => Number(v.value)).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await count("SELECT total_leads AS n FROM campaign_statistics WHERE campaign_id = 650")).toBe(50);
    // Each lead sits in exactly one bucket; which one depends on how far the Processr (running
    // meanwhile) got, so the buckets are summed rather than processing_leads alone asserted.
    expect(
      await count(`SELECT processing_leads + held_leads + valid_leads + caution_leads + invalid_leads + test_leads AS n
                     FROM campaign_statistics WHERE campaign_id = 650`),
    ).toBe(50);
    expect(await count("SELECT sum(total_leads) AS n FROM lead_statistics_chronologies WHERE campaign_id = 650")).toBe(50);
  });
});

describe("the lost race on an Idempotency-Key", () => {
  // Two requests with one key may both read "no such key" before either writes. The second write
  // batch then fails on the key's primary key and must roll back entirely (no second lead) and
  // answer with the first response. Forced here by hiding the key row from the read batch.
  it("rolls the loser's lead back and replays the winner's response", async () => {
    const { captureLead, LEAD_ID_PLACEHOLDER } = await import("../../src/leads/capture");
    const { ApiError } = await import("../../src/errors");
    let hide = false;
    const db = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: async (statements: D1PreparedStatement[]) => {
        const results = await env.DB.batch(statements);
        if (hide && statements.length === 6) results[5]!.results = [];
        return results;
      },
    };
    const input = {
      campaignId: 601, formId: 35, linkId: null, publisherId: 12, apiKey: null,
      idempotency: { scope: "12", key: "race" },
      body: { fields: new Map(Object.entries(SIMPLE)), foreign: [] },
      ip: null, userAgent: null, country: null,
      createdBody: JSON.stringify({ data: LEAD_ID_PLACEHOLDER }),
    };
    const policy = {
      authorize() {},
      notFound: () => new ApiError("NOT_FOUND", "Not Found"),
      publisherRequired: () => new ApiError("NOT_FOUND", "Not Found"),
      campaignUnavailable: () => new ApiError("FORBIDDEN", "unavailable"),
      contractUnsigned: () => new ApiError("FORBIDDEN", "unsigned"),
    };
    const testEnv = { ...env, DB: db as unknown as D1Database };
    const winner = await captureLead(testEnv, input, policy);
    expect(winner.replayed).toBe(false);
    const leads = await count("SELECT count(*) AS n FROM leads");
    const datas = await count("SELECT count(*) AS n FROM lead_datas");
    const total = await count("SELECT total_leads AS n FROM campaign_statistics WHERE campaign_id = 601");

    hide = true;
    const loser = await captureLead(testEnv, input, policy);
    expect(loser).toMatchObject({ replayed: true, status: 201, body: winner.body, leadId: winner.leadId });
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(leads);
    expect(await count("SELECT count(*) AS n FROM lead_datas")).toBe(datas);
    expect(await count("SELECT total_leads AS n FROM campaign_statistics WHERE campaign_id = 601")).toBe(total);

    const other = { ...input, body: { fields: new Map(Object.entries({ ...SIMPLE, firstName: "Other" })), foreign: [] } };
    await expect(captureLead(testEnv, other, policy)).rejects.toMatchObject({ status: 422 });
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(leads);
  });
});
