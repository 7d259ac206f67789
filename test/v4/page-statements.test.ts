import { env } from "cloudflare:workers";
import { type SQL, eq, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { beforeAll, describe, expect, it } from "vitest";
import { leads } from "../../src/db/schema";
import { QueryParams, inList } from "../../src/hydra/query";
import { type Ctx, collectionStatements } from "../../src/hydra/resource";
import { compile } from "../../src/hydra/statements";
import { leadResource } from "../../src/routes/v4/leads";
import { DEMO } from "../helpers";
import { addLeads, get, ids, tokens } from "./fixtures";

// A collection's statements are rendered once per shape and their values bound per request
// (src/hydra/statements.ts). In one isolate, requests of the same shape and of other shapes
// follow each other here: each must get the text drizzle renders for it and its own values.

const drizzleRenders = (s: SQL) => {
  const { sql: text, params } = new SQLiteAsyncDialect().sqlToQuery(s);
  return { sql: text, params };
};

describe("compile: a statement's text once per shape, its values each time", () => {
  // Each case is compiled after the ones before it, so later ones find earlier shapes cached.
  const cases: [string, SQL][] = [
    ["one id", sql`select * from ${leads} where ${inList(leads.id, [7])}`],
    ["two ids (an IN list: another text)", sql`select * from ${leads} where ${inList(leads.id, [7, 8])}`],
    ["three ids (the same text as two, another value)", sql`select * from ${leads} where ${inList(leads.id, [9, 10, 11])}`],
    ["another single id", sql`select * from ${leads} where ${inList(leads.id, [12])}`],
    ["an array of two values", sql`select * from ${leads} where ${leads.id} in ${[1, 2]}`],
    ["an array of three values (one placeholder more)", sql`select * from ${leads} where ${leads.id} in ${[1, 2, 3]}`],
    ["an array of two others", sql`select * from ${leads} where ${leads.id} in ${[4, 5]}`],
    ["a value through its column's encoder", sql`select * from ${leads} where ${eq(leads.overAllocation, true)}`],
    ["the same, false", sql`select * from ${leads} where ${eq(leads.overAllocation, false)}`],
    ["an optional condition absent", sql`select * from ${leads}${undefined} limit ${5}`],
    ["the same present", sql`select * from ${leads}${sql` where ${leads.campaignId} = ${601}`} limit ${5}`],
    ["values written into the text", sql`select * from ${leads} where ${sql`${leads.id} = ${3}`.inlineParams()}`],
    ["another value written into the text", sql`select * from ${leads} where ${sql`${leads.id} = ${4}`.inlineParams()}`],
    ["a null value", sql`select * from ${leads} where ${leads.email} is ${null}`],
    ["a string", sql`select * from ${leads} where ${leads.email} = ${"a@example.org"}`],
  ];
  it("gives the text and values drizzle renders, whatever was compiled before", () => {
    for (const [name, statement] of cases) {
      const [compiled] = compile([statement]);
      const rendered = drizzleRenders(statement);
      expect({ name, ...compiled }).toEqual({ name, ...rendered });
    }
    // And again, now that every shape was seen once.
    for (const [name, statement] of cases) expect({ name, ...compile([statement])[0] }).toEqual({ name, ...drizzleRenders(statement) });
  });

  it("keeps a batch's statements apart: the same texts in another split are another shape", () => {
    const a = sql`select 1 where ${leads.id} = ${1}`;
    const b = sql`select 2`;
    const first = compile([a, b]);
    const joined = compile([sql`${a}${b}`]);
    expect(first.map((s) => s.sql)).toEqual([drizzleRenders(a).sql, drizzleRenders(b).sql]);
    expect(joined.map((s) => s.sql)).toEqual([drizzleRenders(a).sql + drizzleRenders(b).sql]);
  });
});

describe("a page's statements by caller", () => {
  const base = { env, db: undefined as never, now: Date.now() };
  const admin = { ...base, principal: { kind: "user" }, isAdmin: true, publisherId: null } as unknown as Ctx;
  const publisher = (publisherId: number) => ({ ...base, principal: { kind: "user" }, isAdmin: false, publisherId }) as unknown as Ctx;
  const q = new QueryParams("http://x/api/v4/leads?campaign.id=601&order[id]=desc&itemsPerPage=100");

  it("an admin's and a publisher's page are other shapes; two publishers, the same shape with their own ids", () => {
    const a = collectionStatements(leadResource, admin, q).statements;
    const p12 = collectionStatements(leadResource, publisher(12), q).statements;
    const p13 = collectionStatements(leadResource, publisher(13), q).statements;
    expect(a.length).toBe(3);
    // The admin's count is the campaign's running total, the publisher's a count of its own leads.
    expect(a[0]!.sql).toContain("campaign_statistics");
    expect(p12[0]!.sql).toContain("count(*)");
    for (let i = 0; i < 3; i++) {
      expect(p12[i]!.sql).not.toBe(a[i]!.sql);
      expect(p13[i]!.sql).toBe(p12[i]!.sql);
      expect(p12[i]!.params).toContain(12);
      expect(p13[i]!.params).toContain(13);
      expect(p13[i]!.params).not.toContain(12);
    }
    // Values are bound, never written into the text.
    for (const s of [...a, ...p12, ...p13]) expect(s.sql).not.toMatch(/\b(601|12|13)\b/);
  });
});

describe("pages of many shapes in one isolate", () => {
  let t: Awaited<ReturnType<typeof tokens>>;
  beforeAll(async () => {
    await addLeads();
    // An admin's campaign-only page counts from the campaign's running total: as capture keeps it.
    await env.DB.prepare(
      `INSERT INTO campaign_statistics (campaign_id, total_leads) SELECT 601, count(*) FROM leads WHERE campaign_id = 601 AND deleted_ts IS NULL
       ON CONFLICT (campaign_id) DO UPDATE SET total_leads = excluded.total_leads`,
    ).run();
    t = await tokens();
  });

  const expected = async (where: string) =>
    (await env.DB.prepare(`SELECT id FROM leads WHERE deleted_ts IS NULL AND ${where} ORDER BY id`).all<{ id: number }>()).results.map((r) => r.id);

  it("answers each request with its own values and shape", async () => {
    const requests: [path: string, who: keyof typeof t, where: string][] = [
      ["id[]=53101&id[]=53102", "admin", "id IN (53101, 53102)"],
      ["id[]=53103&id[]=53104&id[]=53102", "admin", "id IN (53102, 53103, 53104)"],
      ["id=53104", "admin", "id = 53104"],
      ["id[]=53101&id[]=53103", "admin", "id IN (53101, 53103)"],
      ["campaign.id=601", "admin", "campaign_id = 601"],
      ["campaign.id=601", "north", `campaign_id = 601 AND publisher_id = ${DEMO.northwind.publisherId}`],
      ["campaign.id=601", "agency", `campaign_id = 601 AND publisher_id = ${DEMO.agencyPartners.publisherId}`],
      ["campaign.id=601&publisher.id=13", "admin", "campaign_id = 601 AND publisher_id = 13"],
      ["campaign.id=601&leadFlag.id=2", "admin", "campaign_id = 601 AND flag = 'Invalid'"],
      ["campaign.id=601&leadFlag.id[]=1&leadFlag.id[]=3", "admin", "campaign_id = 601 AND flag IN ('Valid', 'Caution')"],
      ["campaign.id=601&createdTs[after]=2026-03-02", "admin", `campaign_id = 601 AND created_ts >= ${Date.parse("2026-03-02")}`],
      ["campaign.id=601&createdTs[before]=2026-03-02", "admin", `campaign_id = 601 AND created_ts <= ${Date.parse("2026-03-02")}`],
      ["campaign.id=601&createdTs[after]=2026-03-03", "admin", `campaign_id = 601 AND created_ts >= ${Date.parse("2026-03-03")}`],
      ["email=carol%40example.org", "admin", "email = 'carol@example.org'"],
      ["email=dave%40example.org", "north", `email = 'dave@example.org' AND publisher_id = ${DEMO.northwind.publisherId}`],
      ["email=dave%40example.org", "agency", `email = 'dave@example.org' AND publisher_id = ${DEMO.agencyPartners.publisherId}`],
    ];
    // Twice: the second time every shape is known.
    for (const round of [1, 2]) {
      for (const [path, who, where] of requests) {
        const want = await expected(where);
        const { status, body } = await get(`/api/v4/leads?${path}&order[id]=asc&itemsPerPage=100`, t[who]);
        expect({ round, path, who, status }).toEqual({ round, path, who, status: 200 });
        expect({ round, path, who, ids: ids(body), total: body["hydra:totalItems"] }).toEqual({ round, path, who, ids: want, total: want.length });
      }
    }
  });
});
