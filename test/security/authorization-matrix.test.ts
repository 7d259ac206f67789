import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import type { BulkMessage } from "../../src/bulk/messages";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, DEMO, loginAs } from "../helpers";
import { fakeQueue, formBody, KEYS, leadsPath, SIMPLE } from "../publisher/support";
import { fetchWith } from "../ratelimit/app-fetch";

// Every mounted route × {anonymous, publisher A (Northwind, 12), publisher B (Agency Partners, 13),
// admin, the API key of another campaign (602, publisher 12)} → the exact expected status. Requests
// that must be refused are run first and must leave the database exactly as it was; then the
// writes that must succeed are made with valid bodies and read back.

type Who = "anon" | "A" | "B" | "admin" | "key";
const WHO: Who[] = ["anon", "A", "B", "admin", "key"];
/** An exact HTTP status. */
type Expect = number;

const vars = {
  PROCESSR_QUEUE: fakeQueue() as unknown as Queue<ProcessrMessage>,
  // Bulk jobs are created and their batches queued here, not run (the matrix reads leads after).
  BULK_QUEUE: fakeQueue() as unknown as Queue<BulkMessage>,
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
const ids = { leadA: 0, leadB: 0, hashA: "", hashB: "", dataB: 0, noteB: 0, logB: 0, providerLogB: 0, campaignNoteB: 0, oauthClient: 0, cpB: 0, linkB: 0, formB: 0, jobB: 0, field602: 0, groupB: 0, memberB: 0 };
/** Rows made for the admin's deletes (so that deleting them breaks nothing else). */
const spare = { advertiser: 0, publisher: 0, cp: 0, link: 0, form: 0, field: 0, job: 0, user: 0, group: 0, member: 0, memberJob: 0, newMemberJob: 0 };
const B_PASSWORD = "Mallory-was-here-1";
/** A spare category and subcategory for the deletes. */
const verticals = { category: 0, subcategory: 0 };
/** A purchase order upload (multipart/form-data, one PDF part). */
const PO_TYPE = "multipart/form-data; boundary=matrix";
const PO_BODY = '--matrix\r\nContent-Disposition: form-data; name="file"; filename="po.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 matrix\r\n--matrix--\r\n';
/** A bulk job for the item route, and the valid body of each bulk operation (one lead of B). */
const bulk = { job: 0, enterpriseKey: 0, adaptor: 0 };
/** Value transforms: a rule with a value row, and a spare rule to delete. */
const vt = { rule: 0, value: 0, spare: 0 };
/** A validation list with an entry, and a spare list and entry for the deletes. */
const lists = { list: 0, entry: 0, spare: 0, spareEntry: 0 };
const BULK_BODIES: [string, () => Record<string, unknown>][] = [
  ["flag", () => ({ leads: [ids.leadB], leadFlag: 2, reason: "Matrix" })],
  ["deliver", () => ({ leads: [ids.leadB] })],
  ["undeliver", () => ({ leads: [ids.leadB] })],
  ["metadata", () => ({ leads: [ids.leadB], metadata: "Replacement", comment: "Matrix" })],
  ["reprocess", () => ({ leads: [ids.leadB] })],
  ["delete", () => ({ leads: [ids.leadB] })],
];

interface Case {
  method: string;
  path: () => string;
  body?: () => string;
  expect: Record<Who, Expect>;
  /** Requests allowed to write run after the digest check. */
  writes?: Who[];
  /** Content-Type of a body that is neither JSON nor a form (a CSV upload). */
  contentType?: string;
  /** Reads back what an allowed write did. */
  check?: (res: Response) => Promise<void>;
}
const all = (e: Expect): Record<Who, Expect> => ({ anon: e, A: e, B: e, admin: e, key: e });
const v4 = (A: Expect, B: Expect, admin: Expect): Record<Who, Expect> => ({ anon: 401, A, B, admin, key: 401 });
const json = (v: unknown) => () => JSON.stringify(v);
/** A body built when it is sent (ids are known only then). */
const jsonOf = (v: () => unknown) => () => JSON.stringify(v());
const v4Iri = (path: string, id: number) => `/api/v4/${path}/${id}`;

async function adminGet(path: string): Promise<Response> {
  return fetchWith(vars, path, { headers: bearer(tokens.admin) });
}
/** A relation as sent: its IRI, whether the item links or embeds it. */
const iriOf = (v: unknown) => (v !== null && typeof v === "object" && "@id" in v ? v["@id"] : v);
/** The written item, read again by the admin, has what was sent (passwords are never shown). */
const readsBack = (sent: () => Record<string, unknown>) => async (res: Response) => {
  const { password: _, ...shown } = sent();
  const item = await adminGet(String(((await res.json()) as { "@id": string })["@id"]));
  expect(item.status).toBe(200);
  const read = (await item.json()) as Record<string, unknown>;
  expect(Object.fromEntries(Object.keys(shown).map((k) => [k, iriOf(read[k])]))).toMatchObject(shown);
};
/** A deleted item is gone for the admin too. */
const gone = (path: () => string) => async () => expect((await adminGet(path())).status).toBe(404);
/** A captured lead exists, credited to the publisher it was posted for. */
const captured = (publisherId: number) => async (res: Response) => {
  const { data } = (await res.json()) as { data: number };
  const lead = await adminGet(v4Iri("leads", data));
  expect(await lead.json()).toMatchObject({ publisher: v4Iri("publishers", publisherId), email: SIMPLE.email });
};
/** What the admin reads of a lead after a write on it. */
const leadAfter = (id: () => number, want: Record<string, unknown>) => async () => {
  const res = await adminGet(v4Iri("leads", id()));
  expect(await res.json()).toMatchObject(want);
};

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
  ["campaign-notes", () => ids.campaignNoteB],
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
  ["countries", () => 77],
  ["categories", () => 1],
  ["subcategories", () => 1],
  ["advertisers", () => 319],
  ["campaign-links", () => 25],
  ["campaign-processr-jobs", () => ids.jobB],
  ["campaign-processr-job-groups", () => ids.groupB],
  ["campaign-processr-job-group-jobs", () => ids.memberB],
];
const config = ["campaigns", "campaign-links", "campaign-publishers", "campaign-processr-jobs", "campaign-processr-job-groups", "campaign-processr-job-group-jobs", "forms", "form-fields", "advertisers", "publishers", "users"];

/** The admin's valid create, update and delete of each configuration resource, in `config` order. */
interface ConfigWrite {
  r: string;
  create: () => Record<string, unknown>;
  update: { path: () => string; body: () => Record<string, unknown> };
  /** The publishers' statuses on the update and the delete: 403 on what they see, 404 on the rest. */
  updated: { A: number; B: number };
  removed: { path: () => string; A: number; B: number };
}
const see = { A: 403, B: 403 };
const onlyA = { A: 403, B: 404 };
const onlyB = { A: 404, B: 403 };
const neither = { A: 404, B: 404 };
const configWrites: ConfigWrite[] = [
  {
    r: "campaigns",
    create: () => ({ name: "Matrix campaign", advertiser: v4Iri("advertisers", 319), currency: v4Iri("currencies", 1), startTs: "2026-01-01T00:00:00+00:00", endTs: "2027-01-01T00:00:00+00:00", payoutAmount: "12.50" }),
    update: { path: () => v4Iri("campaigns", 601), body: () => ({ name: "Matrix 601" }) },
    updated: see,
    removed: { path: () => v4Iri("campaigns", 603), ...onlyA },
  },
  {
    r: "campaign-links",
    create: () => ({ campaign: v4Iri("campaigns", 601), channel: "email", name: "Matrix link", destination: "https://example.org/matrix", enabled: true }),
    update: { path: () => v4Iri("campaign-links", ids.linkB), body: () => ({ name: "Matrix link 25" }) },
    updated: see,
    removed: { path: () => v4Iri("campaign-links", spare.link), ...see },
  },
  {
    r: "campaign-publishers",
    create: () => ({ campaign: v4Iri("campaigns", 602), publisher: v4Iri("publishers", 13), cap: 50, signed: true }),
    update: { path: () => v4Iri("campaign-publishers", ids.cpB), body: () => ({ cap: 75 }) },
    updated: onlyB,
    removed: { path: () => v4Iri("campaign-publishers", spare.cp), ...neither },
  },
  {
    r: "campaign-processr-jobs",
    create: () => ({ campaign: v4Iri("campaigns", 601), type: "required_value_check", label: "Matrix check", score: 10, hardfail: false, config: { fields: ["email"] } }),
    update: { path: () => v4Iri("campaign-processr-jobs", ids.jobB), body: () => ({ label: "Matrix label", score: 15 }) },
    updated: see,
    removed: { path: () => v4Iri("campaign-processr-jobs", spare.job), ...see },
  },
  {
    r: "campaign-processr-job-groups",
    create: () => ({ campaign: v4Iri("campaigns", 601), name: "Matrix group", score: 10 }),
    update: { path: () => v4Iri("campaign-processr-job-groups", ids.groupB), body: () => ({ name: "Matrix group renamed", score: 12 }) },
    updated: see,
    removed: { path: () => v4Iri("campaign-processr-job-groups", spare.group), ...see },
  },
  {
    r: "campaign-processr-job-group-jobs",
    create: () => ({
      campaignProcessrJobGroup: v4Iri("campaign-processr-job-groups", ids.groupB),
      campaignProcessrJob: v4Iri("campaign-processr-jobs", spare.newMemberJob),
      position: 3,
      conditions: [{ field: "country", values: ["UK"] }],
    }),
    update: { path: () => v4Iri("campaign-processr-job-group-jobs", ids.memberB), body: () => ({ position: 4 }) },
    updated: see,
    removed: { path: () => v4Iri("campaign-processr-job-group-jobs", spare.member), ...see },
  },
  {
    r: "forms",
    create: () => ({ campaign: v4Iri("campaigns", 601), name: "Matrix form" }),
    update: { path: () => v4Iri("forms", ids.formB), body: () => ({ name: "Matrix form 36" }) },
    updated: onlyA,
    removed: { path: () => v4Iri("forms", spare.form), ...see },
  },
  {
    r: "form-fields",
    create: () => ({ form: v4Iri("forms", 35), name: "matrixField", type: "text", required: false }),
    update: { path: () => v4Iri("form-fields", 1), body: () => ({ position: 7 }) },
    updated: see,
    removed: { path: () => v4Iri("form-fields", spare.field), ...see },
  },
  {
    r: "categories",
    create: () => ({ name: "Matrix category" }),
    update: { path: () => v4Iri("categories", 1), body: () => ({ name: "Matrix Business" }) },
    updated: see,
    removed: { path: () => v4Iri("categories", verticals.category), ...see },
  },
  {
    r: "subcategories",
    create: () => ({ name: "Matrix subcategory", category: v4Iri("categories", 1) }),
    update: { path: () => v4Iri("subcategories", 1), body: () => ({ name: "Matrix Marketing" }) },
    updated: see,
    removed: { path: () => v4Iri("subcategories", verticals.subcategory), ...see },
  },
  {
    r: "advertisers",
    create: () => ({ name: "Matrix advertiser" }),
    update: { path: () => v4Iri("advertisers", 319), body: () => ({ name: "Matrix advertiser 319" }) },
    updated: see,
    removed: { path: () => v4Iri("advertisers", spare.advertiser), ...neither },
  },
  {
    r: "publishers",
    create: () => ({ name: "Matrix publisher" }),
    update: { path: () => v4Iri("publishers", 13), body: () => ({ name: "Matrix publisher 13" }) },
    updated: onlyB,
    removed: { path: () => v4Iri("publishers", spare.publisher), ...neither },
  },
  {
    r: "users",
    create: () => ({ username: "matrix@acme.test", name: "Matrix", role: "publisher", publisher: v4Iri("publishers", 12), password: "matrix-password-1" }),
    update: { path: () => v4Iri("users", spare.user), body: () => ({ name: "Matrix spare" }) },
    updated: see,
    removed: { path: () => v4Iri("users", spare.user), ...see },
  },
];

const cases: Case[] = [
  // Public: login and password reset answer everyone (with their own 4xx for these bodies).
  { method: "POST", path: () => "/api/login", body: () => "username=x&password=y", expect: all(400) },
  { method: "POST", path: () => "/api/password-reset", body: () => "username=nobody@acme.test", expect: all(202) },
  { method: "POST", path: () => "/api/password-reset/confirm", body: () => "username=nobody@acme.test&code=12345678&newPassword=abcdefghijkl", expect: all(400) },
  // The OAuth token endpoint answers a request without a grant alike for everyone; the extensions
  // document is public.
  { method: "GET", path: () => "/oauth/v2/token", expect: all(400) },
  { method: "POST", path: () => "/oauth/v2/token", body: () => "grant_type=password", expect: all(400) },
  // Revocation answers 200 whatever the token (RFC 7009), and 400 without one.
  { method: "POST", path: () => "/oauth/v2/revoke", body: () => "token=not-a-token", expect: all(200) },
  { method: "GET", path: () => "/.well-known/leadflare", expect: all(200) },
  // The OpenAPI document and the API reference page are public.
  { method: "GET", path: () => "/api/openapi.json", expect: all(200) },
  { method: "GET", path: () => "/docs", expect: all(200) },

  // Publisher API.
  // A campaign the caller does not work on (or, for an API key, not its own) is not found.
  { method: "GET", path: () => "/api/v2.4/publisher/fields/601", expect: { anon: 401, A: 200, B: 200, admin: 200, key: 404 } },
  { method: "GET", path: () => "/api/v2.4/publisher/fields/602", expect: { anon: 401, A: 200, B: 404, admin: 200, key: 200 } },
  { method: "GET", path: () => "/api/v2.4/publisher/links/601", expect: { anon: 401, A: 200, B: 200, admin: 200, key: 404 } },
  { method: "GET", path: () => "/api/v2.4/publisher/links/603", expect: { anon: 401, A: 200, B: 404, admin: 200, key: 404 } },
  { method: "POST", path: () => leadsPath(12, 35, 601), body: () => formBody(SIMPLE), expect: { anon: 401, A: 201, B: 403, admin: 201, key: 403 }, writes: ["A", "admin"], check: captured(12) },
  { method: "POST", path: () => leadsPath(13, 35, 601), body: () => formBody(SIMPLE), expect: { anon: 401, A: 403, B: 201, admin: 201, key: 403 }, writes: ["B", "admin"], check: captured(13) },
  // Acting as another publisher is 403; a lead of another campaign (API key) is not found.
  { method: "GET", path: () => `/api/v2.4/publisher/12/lead-result/${ids.leadA}`, expect: { anon: 401, A: 200, B: 403, admin: 200, key: 404 } },
  { method: "GET", path: () => `/api/v2.4/publisher/13/lead-result/${ids.leadB}`, expect: { anon: 401, A: 403, B: 200, admin: 200, key: 403 } },
  { method: "GET", path: () => `/api/v2.4/publisher/12/lead-result/${ids.leadB}`, expect: { anon: 401, A: 404, B: 403, admin: 404, key: 404 } },

  // Campaign webhook: only the campaign's own key opens it.
  { method: "GET", path: () => "/webhook/campaign/v2/601/global-form/fields", expect: all(401) },
  { method: "GET", path: () => "/webhook/campaign/601/global-form/fields", expect: all(401) },
  { method: "GET", path: () => "/webhook/campaign/601/form/fields", expect: all(401) },
  { method: "GET", path: () => "/webhook/campaign/601/links", expect: all(401) },
  { method: "POST", path: () => "/webhook/campaign/601/global-form/35/leads?campaignLinkId=25&publisherId=12", body: () => formBody(SIMPLE), expect: all(401) },

  // Validation and append webhooks: admins (or the webhook key), nobody else.
  {
    method: "POST", path: () => `/api/webhook/invalidate/${ids.hashB}`, body: () => "reason=r&user=u", expect: { anon: 401, A: 403, B: 403, admin: 201, key: 401 },
    writes: ["admin"], check: leadAfter(() => ids.leadB, { leadFlag: { name: "Invalid" } }),
  },
  {
    method: "POST", path: () => `/api/webhook/validate/${ids.hashA}`, body: () => "reason=r&user=u", expect: { anon: 401, A: 403, B: 403, admin: 201, key: 401 },
    writes: ["admin"], check: leadAfter(() => ids.leadA, { leadFlag: { name: "Valid" } }),
  },
  {
    method: "POST", path: () => `/ajax/lead-append/${ids.hashB}`, body: () => "firstName=Mallory", expect: { anon: 401, A: 403, B: 403, admin: 200, key: 401 },
    writes: ["admin"], check: leadAfter(() => ids.leadB, { firstName: "Mallory" }),
  },
  // Signed by the sending enterprise, not by a token: an unsigned non-event is refused for everyone alike.
  { method: "POST", path: () => "/api/webhook/sync", body: () => "{}", expect: all(400) },
  // Sync API: campaign-publisher API keys only (a bad body is the key's 400).
  { method: "GET", path: () => "/api/sync/credentials", expect: { anon: 401, A: 403, B: 403, admin: 403, key: 200 } },
  { method: "POST", path: () => "/api/sync/subscriptions", body: json({ leadId: 0 }), expect: { anon: 401, A: 403, B: 403, admin: 403, key: 400 } },

  // v4: the API description is public; data is scoped.
  { method: "GET", path: () => "/api/v4", expect: all(200) },
  { method: "GET", path: () => "/api/v4/docs.jsonld", expect: all(200) },
  { method: "GET", path: () => "/api/v4/contexts/Lead", expect: all(200) },
  ...["leads", "lead-datas", "lead-editable-fields", "lead-notes", "lead-flags", "lead-qa-results", "processr-job-leads", "logs", "statistics", "lead-statistics-chronologies", "currencies", "campaign-notes", ...config].map(
    (r): Case => ({ method: "GET", path: () => `/api/v4/${r}`, expect: v4(r === "users" ? 403 : 200, r === "users" ? 403 : 200, 200) }),
  ),
  // Job types with their config schemas are the Processr's rules: the admins'.
  { method: "GET", path: () => "/api/v4/processr-job-types", expect: v4(403, 403, 200) },
  // The enterprise's OAuth client (its secret) is the admins'.
  { method: "GET", path: () => "/api/v4/oauth-clients", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("oauth-clients", ids.oauthClient), expect: v4(403, 403, 200) },
  ...scoped.map(([r, id]): Case => ({ method: "GET", path: () => `/api/v4/${r}/${id()}`, expect: v4(404, 200, 200) })),
  ...ofCampaign602.map(([r, id]): Case => ({ method: "GET", path: () => `/api/v4/${r}/${id()}`, expect: v4(200, 404, 200) })),
  ...shared.map(([r, id]): Case => ({ method: "GET", path: () => `/api/v4/${r}/${id()}`, expect: v4(200, 200, 200) })),
  // No processr results or daily rows exist here: the routes answer 404 to everyone alike.
  { method: "GET", path: () => "/api/v4/processr-job-leads/999999", expect: v4(404, 404, 404) },
  { method: "GET", path: () => "/api/v4/lead-statistics-chronologies/999999", expect: v4(404, 404, 404) },
  { method: "GET", path: () => `/api/v4/publishers/13`, expect: v4(404, 200, 200) },
  // A provider log holds the client's CRM URL and answer: even the lead's own publisher does not see it.
  { method: "GET", path: () => v4Iri("logs", ids.providerLogB), expect: v4(404, 404, 200) },
  { method: "GET", path: () => `/api/v4/users/${DEMO.agencyPartners.id}`, expect: v4(403, 403, 200) },
  // Bulk lead operations are the admins', like single-lead writes; the job is answered at once
  // (202) and its batch queued.
  { method: "GET", path: () => "/api/v4/bulk-jobs", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("bulk-jobs", bulk.job), expect: v4(403, 403, 200) },
  { method: "POST", path: () => "/api/v4/is-lead-delivered", body: jsonOf(() => ({ leads: [ids.leadA, ids.leadB] })), expect: v4(403, 403, 200) },
  // Enterprise API keys (for the campaign duplication API) are the admins'; the duplication API
  // itself takes only such a key, so every caller here is 401.
  { method: "GET", path: () => "/api/v4/enterprise-api-keys", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("enterprise-api-keys", bulk.enterpriseKey), expect: v4(403, 403, 200) },
  {
    method: "POST", path: () => "/api/v4/enterprise-api-keys", body: json({ name: "Matrix" }), expect: v4(403, 403, 201), writes: ["admin"],
    check: async (res) => expect(await res.json()).toMatchObject({ name: "Matrix", active: true, key: expect.stringMatching(/^ek_/) }),
  },
  {
    method: "DELETE", path: () => v4Iri("enterprise-api-keys", bulk.enterpriseKey), expect: v4(403, 403, 204), writes: ["admin"],
    check: async () => expect(await (await adminGet(v4Iri("enterprise-api-keys", bulk.enterpriseKey))).json()).toMatchObject({ active: false }),
  },
  { method: "POST", path: () => "/duplicate-campaign", body: json({ campaignId: 601 }), expect: all(401) },
  // Adaptors (shared field mappings of HTTP integrations) are configuration: the admins'.
  { method: "GET", path: () => "/api/v4/adaptors", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("adaptors", bulk.adaptor), expect: v4(403, 403, 200) },
  {
    method: "POST", path: () => "/api/v4/adaptors", body: json({ name: "Matrix", fields: [{ field: "emailAddress", mappedTo: "email" }] }),
    expect: v4(403, 403, 201), writes: ["admin"],
    check: async (res) => expect(await res.json()).toMatchObject({ "@type": "Adaptor", name: "Matrix" }),
  },
  {
    method: "PUT", path: () => v4Iri("adaptors", bulk.adaptor), body: json({ name: "Matrix renamed" }), expect: v4(403, 403, 200), writes: ["admin"],
    check: async (res) => expect(await res.json()).toMatchObject({ name: "Matrix renamed" }),
  },
  {
    method: "DELETE", path: () => v4Iri("adaptors", bulk.adaptor), expect: v4(403, 403, 204), writes: ["admin"],
    check: async () => expect((await adminGet(v4Iri("adaptors", bulk.adaptor))).status).toBe(404),
  },
  // Advertiser value transforms and their value tables are configuration: the admins'.
  { method: "GET", path: () => "/api/v4/advertiser-value-transforms", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("advertiser-value-transforms", vt.rule), expect: v4(403, 403, 200) },
  { method: "GET", path: () => `/api/v4/advertiser-value-transforms/${vt.rule}/values.csv`, expect: v4(403, 403, 200) },
  {
    method: "POST", path: () => "/api/v4/advertiser-value-transforms",
    body: json({ advertiser: "/api/v4/advertisers/319", label: "Matrix", type: "Transform", originalFieldName: "industry", newFieldName: "matrixIndustry" }),
    expect: v4(403, 403, 201), writes: ["admin"],
    check: readsBack(() => ({ advertiser: "/api/v4/advertisers/319", label: "Matrix", newFieldName: "matrixIndustry" })),
  },
  {
    method: "PUT", path: () => v4Iri("advertiser-value-transforms", vt.rule), body: json({ label: "Matrix renamed" }), expect: v4(403, 403, 200), writes: ["admin"],
    check: readsBack(() => ({ label: "Matrix renamed" })),
  },
  {
    method: "DELETE", path: () => v4Iri("advertiser-value-transforms", vt.spare), expect: v4(403, 403, 204), writes: ["admin"],
    check: gone(() => v4Iri("advertiser-value-transforms", vt.spare)),
  },
  { method: "GET", path: () => "/api/v4/advertiser-value-transform-values", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("advertiser-value-transform-values", vt.value), expect: v4(403, 403, 200) },
  {
    method: "POST", path: () => "/api/v4/advertiser-value-transform-values",
    body: jsonOf(() => ({ advertiserValueTransform: v4Iri("advertiser-value-transforms", vt.rule), originalValue: "Retail", newValue: "Commerce" })),
    expect: v4(403, 403, 201), writes: ["admin"], check: readsBack(() => ({ originalValue: "Retail", newValue: "Commerce" })),
  },
  {
    method: "PUT", path: () => v4Iri("advertiser-value-transform-values", vt.value), body: json({ newValue: "Tech" }), expect: v4(403, 403, 200), writes: ["admin"],
    check: readsBack(() => ({ newValue: "Tech" })),
  },
  {
    method: "DELETE", path: () => v4Iri("advertiser-value-transform-values", vt.value), expect: v4(403, 403, 204), writes: ["admin"],
    check: gone(() => v4Iri("advertiser-value-transform-values", vt.value)),
  },
  {
    method: "POST", path: () => "/api/v4/advertiser-value-transform-imports",
    body: jsonOf(() => ({ advertiserValueTransform: vt.rule, csv: "Energy,Utilities\r\n" })), expect: v4(403, 403, 201), writes: ["admin"],
    check: async (res) => expect(await res.json()).toMatchObject({ "@type": "AdvertiserValueTransformImport", rows: 1, created: 1 }),
  },
  ...BULK_BODIES.map(([op, body]): Case => ({
    method: "POST", path: () => `/api/v4/leads-bulk-${op}`, body: jsonOf(body), expect: v4(403, 403, 202), writes: ["admin"],
    check: async (res) => expect(await res.json()).toMatchObject({ "@type": "BulkJob", operation: op, total: 1, status: "running" }),
  })),
  // Writes: configuration is the admins'. Publishers are refused (403 when they see the item, 404
  // when they do not) before their bodies are read; the admin's valid writes succeed.
  ...configWrites.flatMap(({ r, create, update, updated, removed }): Case[] => [
    { method: "POST", path: () => `/api/v4/${r}`, body: jsonOf(create), expect: v4(403, 403, 201), writes: ["admin"], check: readsBack(create) },
    { method: "PUT", path: () => update.path(), body: jsonOf(update.body), expect: v4(updated.A, updated.B, 200), writes: ["admin"], check: readsBack(update.body) },
    {
      method: "DELETE", path: () => removed.path(), expect: v4(removed.A, removed.B, 204), writes: ["admin"],
      // Deleting a user disables it (its notes keep their author); everything else is gone.
      check: r === "users" ? async () => expect(await (await adminGet(removed.path())).json()).toMatchObject({ disabled: true }) : gone(removed.path),
    },
  ]),
  {
    method: "PATCH", path: () => `/api/v4/leads/${ids.leadB}`, body: json({ leadFlag: "/api/v4/lead-flags/1", reason: "Checked by phone" }),
    expect: v4(404, 403, 200), writes: ["admin"], check: leadAfter(() => ids.leadB, { leadFlag: { name: "Valid" } }),
  },
  {
    method: "POST", path: () => "/api/v4/lead-datas", body: jsonOf(() => ({ lead: v4Iri("leads", ids.leadB), name: "jobTitle", value: "CTO" })),
    expect: v4(403, 403, 201), writes: ["admin"], check: readsBack(() => ({ lead: v4Iri("leads", ids.leadB), name: "jobTitle", value: "CTO" })),
  },
  { method: "POST", path: () => `/api/v4/leads/${ids.leadB}/reprocess`, expect: v4(403, 403, 202), writes: ["admin"], check: leadAfter(() => ids.leadB, { processrStatus: 0 }) },
  { method: "DELETE", path: () => `/api/v4/leads/${ids.leadB}`, expect: v4(404, 403, 204), writes: ["admin"], check: gone(() => v4Iri("leads", ids.leadB)) },
  // Reference data every user reads: countries (read-only), categories and subcategories (admins write).
  ...["countries", "categories", "subcategories"].map((r): Case => ({ method: "GET", path: () => `/api/v4/${r}`, expect: v4(200, 200, 200) })),
  // A campaign's purchase order is the client's commercial terms: admins only (A is on 602, B is not).
  { method: "GET", path: () => "/api/v4/campaigns/602/purchase-order-file", expect: v4(403, 404, 404) },
  {
    method: "POST", path: () => "/api/v4/campaigns/602/purchase-order-file", body: () => PO_BODY, contentType: PO_TYPE,
    expect: v4(403, 404, 201), writes: ["admin"],
    check: async () => {
      const file = await adminGet("/api/v4/campaigns/602/purchase-order-file");
      expect([file.status, file.headers.get("Content-Type"), await file.text()]).toEqual([200, "application/pdf", "%PDF-1.4 matrix"]);
    },
  },
  {
    method: "DELETE", path: () => "/api/v4/campaigns/602/purchase-order-file", expect: v4(403, 404, 204), writes: ["admin"],
    check: async () => expect((await adminGet("/api/v4/campaigns/602/purchase-order-file")).status).toBe(404),
  },
  {
    method: "POST", path: () => "/api/v4/campaigns/601/duplicate", expect: v4(403, 403, 201), writes: ["admin"],
    // The copy of 601 (renamed by the update above), not paused.
    check: readsBack(() => ({ name: "Matrix 601 (copy)", pauseTs: null })),
  },
  {
    method: "POST", path: () => `/api/v4/campaign-publishers/${ids.cpB}/rotate-key`, expect: v4(404, 403, 200), writes: ["admin"],
    check: async (res) => {
      const { apiKey } = (await res.json()) as { apiKey: string };
      expect(apiKey).not.toBe(KEYS.agency601);
      expect(await (await adminGet(v4Iri("campaign-publishers", ids.cpB))).json()).toMatchObject({ apiKey });
    },
  },
  {
    method: "POST", path: () => `/api/v4/campaign-publishers/${ids.cpB}/rotate-webhook-key`, expect: v4(404, 403, 200), writes: ["admin"],
    check: async (res) => {
      const { webhookKey } = (await res.json()) as { webhookKey: string };
      expect(webhookKey).toMatch(/^[0-9a-f]{32}$/);
      expect(await (await adminGet(v4Iri("campaign-publishers", ids.cpB))).json()).toMatchObject({ webhookKey });
    },
  },
  // Not writes: the discovery and the test call answer the admin's empty body with a validation error.
  { method: "POST", path: () => "/api/v4/convertr-connect/discover", body: json({}), expect: v4(403, 403, 422) },
  { method: "POST", path: () => `/api/v4/campaign-processr-jobs/${ids.jobB}/test`, body: json({}), expect: v4(403, 403, 422) },
  // Sync tags belong to Convertr Connect jobs: the admin's answer for this QA job is a 422 that changes nothing.
  { method: "GET", path: () => `/api/v4/campaign-processr-jobs/${ids.jobB}/sync-tags`, expect: v4(403, 403, 422) },
  { method: "POST", path: () => `/api/v4/campaign-processr-jobs/${ids.jobB}/sync-tags`, expect: v4(403, 403, 422) },
  { method: "DELETE", path: () => `/api/v4/campaign-processr-jobs/${ids.jobB}/sync-tags`, expect: v4(403, 403, 422) },
  {
    method: "POST", path: () => `/api/v4/users/${DEMO.agencyPartners.id}/change-password`,
    body: json({ currentPassword: DEMO.agencyPartners.password, newPassword: B_PASSWORD }), expect: v4(403, 202, 403), writes: ["B"],
    // The new password opens a session (later tests go on as B with it).
    check: async () => {
      tokens.B = await loginAs({ ...DEMO.agencyPartners, password: B_PASSWORD });
    },
  },
  // Validation lists (suppression and GDPR erasure) and their entries are the admins'.
  { method: "GET", path: () => "/api/v4/validation-lists", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("validation-lists", lists.list), expect: v4(403, 403, 200) },
  {
    method: "POST", path: () => "/api/v4/validation-lists", body: json({ name: "Matrix domains", kind: "domain" }), expect: v4(403, 403, 201), writes: ["admin"],
    check: readsBack(() => ({ name: "Matrix domains", kind: "domain" })),
  },
  {
    method: "PUT", path: () => v4Iri("validation-lists", lists.list), body: json({ name: "Matrix renamed" }), expect: v4(403, 403, 200), writes: ["admin"],
    check: readsBack(() => ({ name: "Matrix renamed" })),
  },
  {
    method: "DELETE", path: () => v4Iri("validation-lists", lists.spare), expect: v4(403, 403, 204), writes: ["admin"],
    check: gone(() => v4Iri("validation-lists", lists.spare)),
  },
  { method: "GET", path: () => "/api/v4/validation-list-entries", expect: v4(403, 403, 200) },
  { method: "GET", path: () => v4Iri("validation-list-entries", lists.entry), expect: v4(403, 403, 200) },
  {
    method: "POST", path: () => "/api/v4/validation-list-entries",
    body: jsonOf(() => ({ validationList: v4Iri("validation-lists", lists.list), value: "matrix.two@example.org" })),
    expect: v4(403, 403, 201), writes: ["admin"], check: readsBack(() => ({ value: "matrix.two@example.org" })),
  },
  {
    method: "DELETE", path: () => v4Iri("validation-list-entries", lists.spareEntry), expect: v4(403, 403, 204), writes: ["admin"],
    check: gone(() => v4Iri("validation-list-entries", lists.spareEntry)),
  },
  {
    method: "POST", path: () => `/api/v4/validation-lists/${lists.list}/import`, body: () => "matrix.csv@example.org\r\n", contentType: "text/csv",
    expect: v4(403, 403, 200), writes: ["admin"],
    check: async (res) => expect(await res.json()).toMatchObject({ values: 1, added: 1 }),
  },
  // Local-only outbox: fine for everyone locally (see the production test below).
  { method: "GET", path: () => "/__dev/outbox", expect: all(200) },
];

async function send(c: Case, who: Who): Promise<Response> {
  const headers: Record<string, string> = { ...headersOf[who]() };
  const body = c.body?.();
  if (body !== undefined) {
    headers["Content-Type"] = c.contentType ?? (body.startsWith("{") ? (c.method === "PATCH" ? "application/merge-patch+json" : "application/ld+json") : "application/x-www-form-urlencoded");
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
  ids.noteB = (await one<{ id: number }>("INSERT INTO lead_note_rows (lead_id, author, note) VALUES (?, 'test', 'B only') RETURNING id", ids.leadB))!.id;
  ids.logB = (await one<{ id: number }>("INSERT INTO log_lines (type, lead_id, campaign_id, message) VALUES ('processr', ?, 601, 'B only') RETURNING id", ids.leadB))!.id;
  ids.providerLogB = (await one<{ id: number }>("INSERT INTO log_lines (type, lead_id, campaign_id, message) VALUES ('provider', ?, 601, 'CRM call') RETURNING id", ids.leadB))!.id;
  ids.cpB = (await one<{ id: number }>("SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 13"))!.id;
  ids.campaignNoteB = (await one<{ id: number }>(
    "INSERT INTO campaign_notes (campaign_id, campaign_publisher_id, author, note) VALUES (601, ?, 'test', 'B only') RETURNING id", ids.cpB,
  ))!.id;
  ids.oauthClient = (await one<{ id: number }>("SELECT id FROM oauth_clients LIMIT 1"))!.id;
  bulk.job = (await one<{ id: number }>("INSERT INTO bulk_jobs (operation, params, author) VALUES ('reprocess', '{}', 'test') RETURNING id"))!.id;
  bulk.enterpriseKey = (await one<{ id: number }>("INSERT INTO enterprise_api_keys (name, key_hash) VALUES ('Matrix spare', 'not-a-real-hash') RETURNING id"))!.id;
  bulk.adaptor = (await one<{ id: number }>(`INSERT INTO adaptors (name, fields, send_all_values) VALUES ('Matrix spare', '[]', 1) RETURNING id`))!.id;
  const rule = (field: string) =>
    one<{ id: number }>(
      `INSERT INTO advertiser_value_transforms (advertiser_id, label, type, original_field_name, new_field_name) VALUES (319, 'Matrix', 'Transform', 'industry', ?) RETURNING id`,
      field,
    );
  vt.rule = (await rule("matrixSector"))!.id;
  vt.spare = (await rule("matrixSpare"))!.id;
  vt.value = (await one<{ id: number }>(
    "INSERT INTO advertiser_value_transform_values (advertiser_value_transform_id, original_value, new_value) VALUES (?, 'IT', 'Technology') RETURNING id", vt.rule,
  ))!.id;
  lists.list = (await one<{ id: number }>("INSERT INTO validation_lists (name, kind) VALUES ('Matrix list', 'email') RETURNING id"))!.id;
  lists.spare = (await one<{ id: number }>("INSERT INTO validation_lists (name, kind) VALUES ('Matrix spare', 'phone') RETURNING id"))!.id;
  lists.entry = (await one<{ id: number }>("INSERT INTO validation_list_entries (list_id, value) VALUES (?, 'matrix@example.org') RETURNING id", lists.list))!.id;
  lists.spareEntry = (await one<{ id: number }>("INSERT INTO validation_list_entries (list_id, value) VALUES (?, 'spare@example.org') RETURNING id", lists.list))!.id;
  ids.linkB = 25;
  ids.formB = 36;
  ids.jobB = (await one<{ id: number }>("SELECT id FROM campaign_processr_jobs WHERE campaign_id = 601 LIMIT 1"))!.id;
  ids.field602 = (await one<{ id: number }>("SELECT id FROM form_fields WHERE form_id = 36 LIMIT 1"))!.id;
  const create = async (path: string, body: Record<string, unknown>) => {
    const res = await fetchWith(vars, `/api/v4/${path}`, {
      method: "POST",
      headers: { ...bearer(tokens.admin), "Content-Type": "application/ld+json" },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };
  spare.advertiser = await create("advertisers", { name: "Spare advertiser" });
  verticals.category = await create("categories", { name: "Spare category" });
  verticals.subcategory = await create("subcategories", { name: "Spare subcategory", category: 1 });
  spare.publisher = await create("publishers", { name: "Spare publisher" });
  spare.cp = await create("campaign-publishers", { campaign: 601, publisher: spare.publisher });
  spare.link = await create("campaign-links", { campaign: 601, channel: "email", name: "Spare link", destination: "https://example.org/spare" });
  spare.form = await create("forms", { campaign: 601, name: "Spare form" });
  spare.field = await create("form-fields", { form: 35, name: "spareField" });
  spare.job = await create("campaign-processr-jobs", { campaign: 601, type: "required_value_check", label: "Spare check" });
  // Job groups of 601: B's group with job jobB in it, a spare group to delete, and spare jobs for a
  // membership to delete and one to create.
  ids.groupB = await create("campaign-processr-job-groups", { campaign: 601, name: "Matrix group", score: 20 });
  ids.memberB = await create("campaign-processr-job-group-jobs", { campaignProcessrJobGroup: ids.groupB, campaignProcessrJob: ids.jobB });
  spare.group = await create("campaign-processr-job-groups", { campaign: 601, name: "Spare group", score: 5 });
  spare.memberJob = await create("campaign-processr-jobs", { campaign: 601, type: "required_value_check", label: "Spare member" });
  spare.newMemberJob = await create("campaign-processr-jobs", { campaign: 601, type: "required_value_check", label: "New member" });
  spare.member = await create("campaign-processr-job-group-jobs", { campaignProcessrJobGroup: ids.groupB, campaignProcessrJob: spare.memberJob });
  spare.user = await create("users", { username: "spare@acme.test", role: "publisher", publisher: 12, password: "spare-password-1" });
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
        if (res.status !== c.expect[who]) wrong.push(`${who} ${c.method} ${c.path()} → ${res.status}, expected ${c.expect[who]}: ${(await res.text()).slice(0, 120)}`);
      }
    }
    expect(wrong, wrong.join("\n")).toEqual([]);
    expect(await databaseDigest()).toBe(before);
    // Then the requests that are allowed to write.
    for (const c of cases) {
      for (const who of c.writes ?? []) {
        const res = await send(c, who);
        expect(res.status, `${who} ${c.method} ${c.path()}: ${await res.clone().text()}`).toBe(c.expect[who]);
        await c.check?.(res);
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
    // Provider logs are the admins' (the client's CRM): a publisher user counts its Processr logs.
    ["/api/v4/logs", "SELECT count(*) AS n FROM logs x JOIN leads l ON l.id = x.lead_id WHERE x.type = 'processr' AND l.publisher_id = ? AND l.deleted_ts IS NULL"],
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
