import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, DEMO, loginAs } from "../helpers";
import { fakeQueue, formBody, KEYS, leadsPath, SIMPLE } from "../publisher/support";
import { fetchWith } from "../ratelimit/app-fetch";

// Every mounted route × {anonymous, publisher A (Northwind, 12), publisher B (Agency Partners, 13),
// admin, the API key of another campaign (602, publisher 12)} → the expected status. Requests that
// must be refused are run first and must leave the database exactly as it was.

type Who = "anon" | "A" | "B" | "admin" | "key";
const WHO: Who[] = ["anon", "A", "B", "admin", "key"];
/** "ok" = 2xx; "deny" = 401, 403 or 404; "any" = anything but a 5xx; or an exact status. */
type Expect = "ok" | "deny" | "any" | number;

const vars = {
  PROCESSR_QUEUE: fakeQueue() as unknown as Queue<ProcessrMessage>,
  RATE_LIMIT_TOTAL: "1000000000",
  RATE_LIMIT_LOGIN: "1000000000",
  RATE_LIMIT_LEAD_RESULT: "1000000000",
};
const headersOf: Record<Who, () => Record<string, string>> = {
  anon: () => ({}),
  A: () => bearer(tokens.A),
  B: () => bearer(tokens.B),
  admin: () => bearer(tokens.admin),
  key: () => ({ "X-Api-Key": KEYS.northwind602 }),
};
const tokens = { A: "", B: "", admin: "" };
const ids = { leadA: 0, leadB: 0, hashA: "", hashB: "", dataB: 0, noteB: 0, logB: 0, cpB: 0, linkB: 0, formB: 0, jobB: 0, field602: 0 };

interface Case {
  method: string;
  path: () => string;
  body?: () => string;
  expect: Record<Who, Expect>;
  /** Requests allowed to write run after the digest check. */
  writes?: Who[];
}
const all = (e: Expect): Record<Who, Expect> => ({ anon: e, A: e, B: e, admin: e, key: e });
const v4 = (A: Expect, B: Expect, admin: Expect): Record<Who, Expect> => ({ anon: 401, A, B, admin, key: 401 });
const json = (v: unknown) => () => JSON.stringify(v);

async function databaseDigest(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of tables) parts.push(name, JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()).results));
  return parts.join("\n");
}

// Resources publishers may read within their own campaigns, with an item of B's side A must not see.
const scoped: [string, () => number][] = [
  ["leads", () => ids.leadB],
  ["lead-datas", () => ids.dataB],
  ["lead-editable-fields", () => ids.dataB],
  ["lead-notes", () => ids.noteB],
  ["logs", () => ids.logB],
  ["campaign-publishers", () => ids.cpB],
];
// Resources of campaign 602, which publisher B is not on.
const ofCampaign602: [string, () => number][] = [
  ["campaigns", () => 602],
  ["forms", () => 36],
  ["statistics", () => 602],
  ["form-fields", () => ids.field602],
];
// Reference data and the configuration of campaign 601, which both publishers are on.
const shared: [string, () => number][] = [
  ["lead-flags", () => 1],
  ["lead-qa-results", () => 1],
  ["currencies", () => 1],
  ["advertisers", () => 319],
  ["campaign-links", () => 25],
  ["campaign-processr-jobs", () => ids.jobB],
];
const config = ["campaigns", "campaign-links", "campaign-publishers", "campaign-processr-jobs", "forms", "form-fields", "advertisers", "publishers", "users"];

const cases: Case[] = [
  // Public: login and password reset answer everyone (with their own 4xx for these bodies).
  { method: "POST", path: () => "/api/login", body: () => "username=x&password=y", expect: all(400) },
  { method: "POST", path: () => "/api/password-reset", body: () => "username=nobody@acme.test", expect: all(202) },
  { method: "POST", path: () => "/api/password-reset/confirm", body: () => "username=nobody@acme.test&code=12345678&newPassword=abcdefghijkl", expect: all(400) },

  // Publisher API.
  { method: "GET", path: () => "/api/v2.4/publisher/fields/601", expect: { anon: 401, A: "ok", B: "ok", admin: "ok", key: "deny" } },
  { method: "GET", path: () => "/api/v2.4/publisher/fields/602", expect: { anon: 401, A: "ok", B: "deny", admin: "ok", key: "ok" } },
  { method: "GET", path: () => "/api/v2.4/publisher/links/601", expect: { anon: 401, A: "ok", B: "ok", admin: "ok", key: "deny" } },
  { method: "GET", path: () => "/api/v2.4/publisher/links/603", expect: { anon: 401, A: "ok", B: "deny", admin: "ok", key: "deny" } },
  { method: "POST", path: () => leadsPath(12, 35, 601), body: () => formBody(SIMPLE), expect: { anon: 401, A: 201, B: "deny", admin: 201, key: "deny" }, writes: ["A", "admin"] },
  { method: "POST", path: () => leadsPath(13, 35, 601), body: () => formBody(SIMPLE), expect: { anon: 401, A: "deny", B: 201, admin: 201, key: "deny" }, writes: ["B", "admin"] },
  { method: "GET", path: () => `/api/v2.4/publisher/12/lead-result/${ids.leadA}`, expect: { anon: 401, A: "ok", B: "deny", admin: "ok", key: "deny" } },
  { method: "GET", path: () => `/api/v2.4/publisher/13/lead-result/${ids.leadB}`, expect: { anon: 401, A: "deny", B: "ok", admin: "ok", key: "deny" } },
  { method: "GET", path: () => `/api/v2.4/publisher/12/lead-result/${ids.leadB}`, expect: { anon: 401, A: 404, B: "deny", admin: 404, key: "deny" } },

  // Campaign webhook: only the campaign's own key opens it.
  { method: "GET", path: () => "/webhook/campaign/v2/601/global-form/fields", expect: all(401) },
  { method: "GET", path: () => "/webhook/campaign/601/global-form/fields", expect: all(401) },
  { method: "GET", path: () => "/webhook/campaign/601/form/fields", expect: all(401) },
  { method: "GET", path: () => "/webhook/campaign/601/links", expect: all(401) },
  { method: "POST", path: () => "/webhook/campaign/601/global-form/35/leads?campaignLinkId=25&publisherId=12", body: () => formBody(SIMPLE), expect: all(401) },

  // Validation and append webhooks: admins (or the webhook key), nobody else.
  { method: "POST", path: () => `/api/webhook/invalidate/${ids.hashB}`, body: () => "reason=r&user=u", expect: { anon: 401, A: 403, B: 403, admin: 201, key: 401 }, writes: ["admin"] },
  { method: "POST", path: () => `/api/webhook/validate/${ids.hashA}`, body: () => "reason=r&user=u", expect: { anon: 401, A: 403, B: 403, admin: 201, key: 401 }, writes: ["admin"] },
  { method: "POST", path: () => `/ajax/lead-append/${ids.hashB}`, body: () => "firstName=Mallory", expect: { anon: 401, A: 403, B: 403, admin: "ok", key: 401 }, writes: ["admin"] },
  { method: "POST", path: () => "/api/webhook/sync", body: () => "{}", expect: all("any") },
  // Sync API: campaign-publisher API keys only.
  { method: "GET", path: () => "/api/sync/credentials", expect: { anon: 401, A: "any", B: "any", admin: "any", key: "ok" } },
  { method: "POST", path: () => "/api/sync/subscriptions", body: json({ leadId: 0 }), expect: { anon: 401, A: "any", B: "any", admin: "any", key: "any" } },

  // v4: the API description is public; data is scoped.
  { method: "GET", path: () => "/api/v4", expect: all("any") },
  { method: "GET", path: () => "/api/v4/docs.jsonld", expect: all("any") },
  { method: "GET", path: () => "/api/v4/contexts/Lead", expect: all("any") },
  ...["leads", "lead-datas", "lead-editable-fields", "lead-notes", "lead-flags", "lead-qa-results", "processr-job-leads", "logs", "statistics", "lead-statistics-chronologies", "currencies", ...config].map(
    (r): Case => ({ method: "GET", path: () => `/api/v4/${r}`, expect: v4(r === "users" ? 403 : "ok", r === "users" ? 403 : "ok", "ok") }),
  ),
  ...scoped.map(([r, id]): Case => ({ method: "GET", path: () => `/api/v4/${r}/${id()}`, expect: v4(404, "ok", "ok") })),
  ...ofCampaign602.map(([r, id]): Case => ({ method: "GET", path: () => `/api/v4/${r}/${id()}`, expect: v4("ok", 404, "ok") })),
  ...shared.map(([r, id]): Case => ({ method: "GET", path: () => `/api/v4/${r}/${id()}`, expect: v4("ok", "ok", "ok") })),
  // No processr results or daily rows exist here: the routes answer 404 to everyone alike.
  { method: "GET", path: () => "/api/v4/processr-job-leads/999999", expect: v4(404, 404, 404) },
  { method: "GET", path: () => "/api/v4/lead-statistics-chronologies/999999", expect: v4(404, 404, 404) },
  { method: "GET", path: () => `/api/v4/publishers/13`, expect: v4(404, "ok", "ok") },
  { method: "GET", path: () => `/api/v4/users/${DEMO.agencyPartners.id}`, expect: v4(403, 403, "ok") },
  // Writes: configuration is the admins'; publishers are refused before their bodies are read.
  ...config.map((r): Case => ({ method: "POST", path: () => `/api/v4/${r}`, body: json({}), expect: v4(403, 403, 422) })),
  ...config.map((r): Case => ({ method: "PUT", path: () => `/api/v4/${r}/${r === "users" ? DEMO.agencyPartners.id : r === "publishers" ? 13 : r === "advertisers" ? 319 : r === "campaign-publishers" ? ids.cpB : r === "campaign-links" ? ids.linkB : r === "forms" ? ids.formB : r === "form-fields" ? 1 : r === "campaign-processr-jobs" ? ids.jobB : 601}`, body: json({ name: "Mallory" }), expect: v4("deny", "deny", "any"), writes: ["admin"] })),
  ...config.map((r): Case => ({ method: "DELETE", path: () => `/api/v4/${r}/${r === "campaigns" ? 603 : r === "users" ? DEMO.agencyPartners.id : r === "publishers" ? 13 : r === "advertisers" ? 319 : r === "campaign-publishers" ? ids.cpB : r === "campaign-links" ? ids.linkB : r === "forms" ? ids.formB : r === "form-fields" ? 1 : ids.jobB}`, expect: { anon: 401, A: "deny", B: "deny", admin: "any", key: 401 }, writes: ["admin"] })),
  { method: "PATCH", path: () => `/api/v4/leads/${ids.leadB}`, body: json({ firstName: "Mallory" }), expect: v4("deny", "any", "any"), writes: ["B", "admin"] },
  { method: "DELETE", path: () => `/api/v4/leads/${ids.leadB}`, expect: v4("deny", "deny", "any"), writes: ["admin"] },
  { method: "POST", path: () => "/api/v4/lead-datas", body: json({ lead: `/api/v4/leads/${ids.leadB}`, name: "firstName", value: "Mallory" }), expect: v4("deny", "any", "any"), writes: ["B", "admin"] },
  { method: "POST", path: () => `/api/v4/leads/${ids.leadB}/reprocess`, expect: v4(403, 403, "any"), writes: ["admin"] },
  { method: "POST", path: () => "/api/v4/campaigns/601/duplicate", expect: v4("deny", "deny", "any"), writes: ["admin"] },
  { method: "POST", path: () => `/api/v4/campaign-publishers/${ids.cpB}/rotate-key`, expect: v4("deny", "deny", "any"), writes: ["admin"] },
  { method: "POST", path: () => "/api/v4/convertr-connect/discover", body: json({}), expect: v4(403, 403, "any") },
  { method: "POST", path: () => `/api/v4/campaign-processr-jobs/${ids.jobB}/test`, body: json({}), expect: v4(403, 403, "any") },
  { method: "POST", path: () => `/api/v4/users/${DEMO.agencyPartners.id}/change-password`, body: json({ currentPassword: DEMO.agencyPartners.password, newPassword: "Mallory-was-here-1" }), expect: v4(403, "any", 403), writes: ["B"] },
  // Local-only outbox: fine for everyone locally (see the production test below).
  { method: "GET", path: () => "/__dev/outbox", expect: all("ok") },
];

function matches(status: number, e: Expect): boolean {
  if (e === "ok") return status >= 200 && status < 300;
  if (e === "deny") return status === 401 || status === 403 || status === 404;
  if (e === "any") return status < 500;
  return status === e;
}

async function send(c: Case, who: Who): Promise<Response> {
  const headers: Record<string, string> = { ...headersOf[who]() };
  const body = c.body?.();
  if (body !== undefined) {
    headers["Content-Type"] = body.startsWith("{") ? (c.method === "PATCH" ? "application/merge-patch+json" : "application/ld+json") : "application/x-www-form-urlencoded";
  }
  return fetchWith(vars, c.path(), { method: c.method, headers, body });
}

beforeAll(async () => {
  tokens.A = await loginAs(DEMO.northwind);
  tokens.B = await loginAs(DEMO.agencyPartners);
  tokens.admin = await loginAs(DEMO.admin);
  const capture = async (key: string) => {
    const res = await fetchWith(vars, leadsPath(key === KEYS.northwind601 ? 12 : 13, 35, 601), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": key },
      body: formBody(SIMPLE),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { data: number }).data;
  };
  ids.leadA = await capture(KEYS.northwind601);
  ids.leadB = await capture(KEYS.agency601);
  const one = <T>(sql: string, ...p: unknown[]) => env.DB.prepare(sql).bind(...p).first<T>();
  ids.hashA = (await one<{ h: string }>("SELECT lead_hash AS h FROM leads WHERE id = ?", ids.leadA))!.h;
  ids.hashB = (await one<{ h: string }>("SELECT lead_hash AS h FROM leads WHERE id = ?", ids.leadB))!.h;
  ids.dataB = (await one<{ id: number }>("SELECT id FROM lead_datas WHERE lead_id = ? LIMIT 1", ids.leadB))!.id;
  ids.noteB = (await one<{ id: number }>("INSERT INTO lead_notes (lead_id, author, note) VALUES (?, 'test', 'B only') RETURNING id", ids.leadB))!.id;
  ids.logB = (await one<{ id: number }>("INSERT INTO logs (type, lead_id, campaign_id, message) VALUES ('processr', ?, 601, 'B only') RETURNING id", ids.leadB))!.id;
  ids.cpB = (await one<{ id: number }>("SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 13"))!.id;
  ids.linkB = 25;
  ids.formB = 36;
  ids.jobB = (await one<{ id: number }>("SELECT id FROM campaign_processr_jobs WHERE campaign_id = 601 LIMIT 1"))!.id;
  ids.field602 = (await one<{ id: number }>("SELECT id FROM form_fields WHERE form_id = 36 LIMIT 1"))!.id;
});

describe("authorization matrix", () => {
  it("covers every mounted route", () => {
    const covered = cases.map((c) => `${c.method} ${c.path()}`);
    const toPattern = (p: string) =>
      new RegExp(`^${p.replace(/:version\{[^}]*\}/, "v2\\.4").replace(/:[A-Za-z]+(\{[^}]*\})?/g, "[^/]+")}(\\?.*)?$`);
    const routes = app.routes.filter((r) => r.method !== "ALL" && !r.path.includes("*"));
    const missing = routes.filter((r) => !covered.some((k) => k.startsWith(`${r.method} `) && toPattern(r.path).test(k.slice(r.method.length + 1))));
    expect(missing.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("refuses what it must, with no write at all, and serves what it should", async () => {
    const before = await databaseDigest();
    const wrong: string[] = [];
    for (const c of cases) {
      for (const who of WHO) {
        if (c.writes?.includes(who)) continue;
        const res = await send(c, who);
        if (!matches(res.status, c.expect[who])) wrong.push(`${who} ${c.method} ${c.path()} → ${res.status}, expected ${c.expect[who]}: ${(await res.text()).slice(0, 120)}`);
      }
    }
    expect(wrong, wrong.join("\n")).toEqual([]);
    expect(await databaseDigest()).toBe(before);
    // Then the requests that are allowed to write.
    for (const c of cases) {
      for (const who of c.writes ?? []) {
        const res = await send(c, who);
        expect(matches(res.status, c.expect[who]), `${who} ${c.method} ${c.path()} → ${res.status}`).toBe(true);
      }
    }
  });
});

describe("publisher views of collections", () => {
  const count = async (sql: string, publisherId: number) =>
    (await env.DB.prepare(sql).bind(publisherId).first<{ n: number }>())!.n;
  const collections: [string, string][] = [
    ["/api/v4/leads", "SELECT count(*) AS n FROM leads WHERE publisher_id = ? AND deleted_ts IS NULL"],
    ["/api/v4/lead-datas", "SELECT count(*) AS n FROM lead_datas d JOIN leads l ON l.id = d.lead_id WHERE l.publisher_id = ? AND l.deleted_ts IS NULL"],
    ["/api/v4/lead-notes", "SELECT count(*) AS n FROM lead_notes x JOIN leads l ON l.id = x.lead_id WHERE l.publisher_id = ? AND l.deleted_ts IS NULL"],
    ["/api/v4/logs", "SELECT count(*) AS n FROM logs x JOIN leads l ON l.id = x.lead_id WHERE l.publisher_id = ? AND l.deleted_ts IS NULL"],
    ["/api/v4/campaign-publishers", "SELECT count(*) AS n FROM campaign_publishers cp JOIN campaigns c ON c.id = cp.campaign_id WHERE cp.publisher_id = ? AND c.deleted_ts IS NULL"],
  ];

  it("count and list only the caller's own rows (no totals of other publishers)", async () => {
    for (const [who, publisherId] of [["A", 12], ["B", 13]] as const) {
      for (const [path, sql] of collections) {
        const res = await fetchWith(vars, `${path}?itemsPerPage=100`, { headers: headersOf[who]() });
        expect(res.status, `${who} ${path}`).toBe(200);
        const body = (await res.json()) as { "hydra:totalItems": number; "hydra:member": unknown[] };
        const own = await count(sql, publisherId);
        expect(body["hydra:totalItems"], `${who} ${path}`).toBe(own);
        expect(body["hydra:member"].length, `${who} ${path}`).toBe(Math.min(own, 100));
      }
    }
    // B's own data exists, so the zero counts above are not vacuous.
    expect(await count(collections[0]![1], 13)).toBeGreaterThan(0);
  });

  it("never show a publisher the campaign webhook key or another publisher's API key", async () => {
    for (const who of ["A", "B"] as const) {
      const text = await (await fetchWith(vars, "/api/v4/campaigns?itemsPerPage=100", { headers: headersOf[who]() })).text();
      const cps = await (await fetchWith(vars, "/api/v4/campaign-publishers?itemsPerPage=100", { headers: headersOf[who]() })).text();
      const { results } = await env.DB.prepare("SELECT api_key FROM campaigns").all<{ api_key: string }>();
      for (const { api_key } of results) expect(text.includes(api_key), `${who} sees a campaign key`).toBe(false);
      const other = who === "A" ? KEYS.agency601 : KEYS.northwind601;
      expect(cps.includes(other), `${who} sees another publisher's key`).toBe(false);
      expect(text.includes(other)).toBe(false);
    }
  });
});
