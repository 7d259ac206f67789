import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import { bearer, DEMO, loginAs } from "../helpers";
import { formBody, leadsPath, SIMPLE } from "../publisher/support";
import { fetchWith } from "../ratelimit/app-fetch";
import { type FuzzCase, fuzzCases } from "./fuzz-bodies";

// A few thousand generated malformed bodies against every endpoint that takes one from outside:
// each must get a 4xx (never a 5xx, never a success) and the database must not change at all.

const SEED = 20261126;
const API_KEY = "0c463164f0d4fcb604d8fd9f80737476";
const unlimited = { RATE_LIMIT_TOTAL: "1000000000", RATE_LIMIT_LOGIN: "1000000000" };
let admin: string;
let northwind: string;
let campaignKey: string;
let leadId: number;
let enterpriseKey: string;

/** Every row of every table, hashed: proof that nothing at all was written. */
async function databaseDigest(): Promise<{ digest: string; leads: number }> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
    parts.push(name, JSON.stringify(results));
  }
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n"))));
  const leads = (await env.DB.prepare("SELECT count(*) AS n FROM leads").first<{ n: number }>())!.n;
  return { digest: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""), leads };
}

function request(target: Target, c: FuzzCase): RequestInit {
  const headers = new Headers(target.headers());
  if (c.contentType !== null) headers.set("Content-Type", c.contentType);
  return { method: target.method, headers, body: c.body };
}

interface Target {
  name: string;
  method: string;
  path: () => string;
  headers: () => Record<string, string>;
  share: number;
}

const targets: Target[] = [
  { name: "login", method: "POST", path: () => "/api/login", headers: () => ({}), share: 600 },
  { name: "publisher lead (API key)", method: "POST", path: () => leadsPath(12, 35, 601), headers: () => ({ "X-Api-Key": API_KEY }), share: 600 },
  { name: "publisher lead (token)", method: "POST", path: () => leadsPath(12, 35, 601, "?linkId=25"), headers: () => bearer(northwind), share: 300 },
  { name: "campaign webhook lead", method: "POST", path: () => `/webhook/campaign/601/global-form/35/leads?apikey=${campaignKey}&campaignLinkId=25&publisherId=12`, headers: () => ({}), share: 300 },
  { name: "v4 POST campaigns", method: "POST", path: () => "/api/v4/campaigns", headers: () => bearer(admin), share: 200 },
  { name: "v4 PUT campaign", method: "PUT", path: () => "/api/v4/campaigns/601", headers: () => bearer(admin), share: 200 },
  { name: "v4 PATCH lead", method: "PATCH", path: () => `/api/v4/leads/${leadId}`, headers: () => bearer(admin), share: 200 },
  { name: "v4 POST lead-datas", method: "POST", path: () => "/api/v4/lead-datas", headers: () => bearer(admin), share: 150 },
  { name: "v4 POST campaign-links", method: "POST", path: () => "/api/v4/campaign-links", headers: () => bearer(admin), share: 150 },
  { name: "v4 POST users", method: "POST", path: () => "/api/v4/users", headers: () => bearer(admin), share: 150 },
  { name: "v4 change password", method: "POST", path: () => `/api/v4/users/${DEMO.admin.id}/change-password`, headers: () => bearer(admin), share: 150 },
  { name: "v4 bulk flag", method: "POST", path: () => "/api/v4/leads-bulk-flag", headers: () => bearer(admin), share: 150 },
  { name: "campaign duplication API", method: "POST", path: () => "/duplicate-campaign", headers: () => ({ "x-api-key": enterpriseKey }), share: 150 },
];

beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  northwind = await loginAs(DEMO.northwind);
  campaignKey = await demoCampaignWebhookKey("acme", 601);
  // One real lead, so the lead PATCH has something to (not) change.
  const res = await fetchWith(unlimited, leadsPath(12, 35, 601), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": API_KEY },
    body: formBody(SIMPLE),
  });
  expect(res.status).toBe(201);
  leadId = ((await res.json()) as { data: number }).data;
  const issued = await fetchWith(unlimited, "/api/v4/enterprise-api-keys", {
    method: "POST",
    headers: { ...bearer(admin), "Content-Type": "application/json" },
    body: JSON.stringify({ name: "Fuzz" }),
  });
  expect(issued.status).toBe(201);
  enterpriseKey = ((await issued.json()) as { key: string }).key;
});

describe("fuzzing the write endpoints with malformed bodies", () => {
  for (const [t, target] of targets.entries()) {
    it(`${target.name}: ${target.share} bodies, all 4xx, nothing written`, async () => {
      const before = await databaseDigest();
      const cases = fuzzCases(SEED + t, target.share);
      const failures: string[] = [];
      for (let i = 0; i < cases.length; i += 16) {
        await Promise.all(
          cases.slice(i, i + 16).map(async (c) => {
            const res = await fetchWith(unlimited, target.path(), request(target, c));
            const text = await res.text();
            if (res.status < 400 || res.status >= 500) failures.push(`#${c.index} ${c.label} (${c.contentType}) → ${res.status} ${text.slice(0, 160)}`);
          }),
        );
      }
      const after = await databaseDigest();
      expect(failures, failures.slice(0, 15).join("\n")).toEqual([]);
      expect(after.leads).toBe(before.leads);
      expect(after.digest).toBe(before.digest);
    }, 180_000);
  }
});

describe("duplicate JSON keys", () => {
  // JSON.parse keeps the last value silently; a proxy or a log reading the first would see another request.
  it("are refused by login, lead capture and v4 writes, and change nothing", async () => {
    const before = await databaseDigest();
    const tries: [string, string, string, Record<string, string>][] = [
      ["PUT", "/api/v4/campaigns/601", '{"name":"a","name":"b"}', bearer(admin)],
      ["POST", "/api/v4/campaign-links", '{"campaign":"/api/v4/campaigns/601","channel":"Email","name":"l","name":"m","destination":"https://x.test"}', bearer(admin)],
      ["POST", "/api/login", `{"username":"nobody","username":"${DEMO.admin.username}","password":"${DEMO.admin.password}"}`, {}],
      ["POST", leadsPath(12, 35, 601), '{"form":{"firstName":"a","lastName":"b","email":"a@b.test","email":"c@d.test"}}', { "X-Api-Key": API_KEY }],
    ];
    for (const [method, path, body, headers] of tries) {
      const res = await fetchWith(unlimited, path, { method, headers: { "Content-Type": "application/json", ...headers }, body });
      expect(res.status, `${method} ${path}`).toBe(400);
    }
    expect((await databaseDigest()).digest).toBe(before.digest);
  });
});
