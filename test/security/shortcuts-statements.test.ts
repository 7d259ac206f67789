import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO } from "../helpers";
import { get, ids, tokens } from "../v4/fixtures";

// A v4 collection's SQL text is rendered once per shape and reused (src/hydra/statements.ts, issue
// 17). Here the collections whose publisher scope is a correlated EXISTS (campaigns, form fields)
// are asked by an admin and two publisher users in turn, with filters of several list lengths, so
// that each request finds the text an earlier caller's request of another scope left: every answer
// must be the caller's own rows, as a recount in SQL finds them. test/v4/page-statements.test.ts
// does the same for leads.

const NORTH = DEMO.northwind.publisherId;
const AGENCY = DEMO.agencyPartners.publisherId;
type Who = "admin" | "north" | "agency";
const publisherOf: Record<Who, number | null> = { admin: null, north: NORTH, agency: AGENCY };

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
  // Northwind is on every demo campaign: give its place on campaign 603 to Agency Partners, so
  // that the admin and the two publishers each see other campaigns and fields.
  await env.DB.prepare("UPDATE campaign_publishers SET publisher_id = ?1 WHERE campaign_id = 603 AND publisher_id = ?2").bind(AGENCY, NORTH).run();
});

const truth = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql).bind(...binds).all<{ id: number }>()).results.map((r) => r.id);

/** The campaigns a caller sees, as SQL finds them, optionally on publishers `on` (by id). */
function campaignsTruth(who: Who, on: number[] | null) {
  const p = publisherOf[who];
  const conds = ["c.deleted_ts IS NULL"];
  if (p !== null) conds.push(`EXISTS (SELECT 1 FROM campaign_publishers cp WHERE cp.campaign_id = c.id AND cp.publisher_id = ${p}) AND c.is_template = 0`);
  // A publisher asking about other publishers learns nothing: those ids match nothing.
  if (on !== null) {
    const asked = p === null ? on : on.includes(p) ? [p] : [];
    conds.push(`EXISTS (SELECT 1 FROM campaign_publishers cp WHERE cp.campaign_id = c.id AND cp.publisher_id IN (${asked.join(",") || "NULL"}))`);
  }
  return truth(`SELECT c.id FROM campaigns c WHERE ${conds.join(" AND ")} ORDER BY c.id`);
}

/** The form fields a caller sees, as SQL finds them, of forms `forms` (or all). */
function fieldsTruth(who: Who, forms: number[] | null) {
  const p = publisherOf[who];
  const conds = ["c.deleted_ts IS NULL"];
  if (p !== null) conds.push(`EXISTS (SELECT 1 FROM campaign_publishers cp WHERE cp.campaign_id = f.campaign_id AND cp.publisher_id = ${p})`);
  if (forms !== null) conds.push(`ff.form_id IN (${forms.join(",")})`);
  return truth(`SELECT ff.id FROM form_fields ff JOIN forms f ON f.id = ff.form_id JOIN campaigns c ON c.id = f.campaign_id WHERE ${conds.join(" AND ")} ORDER BY ff.id`);
}

const list = (name: string, values: number[]) => values.map((v) => `${name}[]=${v}`).join("&");

describe("statement texts reused across callers of other scopes", () => {
  it("campaigns and form fields: each caller gets its own rows, whatever the caller before asked", async () => {
    // A form of each campaign, so that the longer lists reach forms only some callers see.
    const forms = await truth("SELECT min(id) AS id FROM forms GROUP BY campaign_id ORDER BY campaign_id");
    expect(forms.length).toBeGreaterThanOrEqual(2);
    const requests: [path: string, who: Who, expected: () => Promise<number[]>][] = [];
    for (const who of ["admin", "north", "agency", "north", "admin", "agency"] as Who[]) {
      requests.push(["/api/v4/campaigns?order[id]=asc&itemsPerPage=100", who, () => campaignsTruth(who, null)]);
      for (const on of [[NORTH], [NORTH, AGENCY], [AGENCY, NORTH, 999], [AGENCY]]) {
        requests.push([`/api/v4/campaigns?${list("campaignPublishers.publisher.id", on)}&order[id]=asc&itemsPerPage=100`, who, () => campaignsTruth(who, on)]);
      }
      requests.push(["/api/v4/form-fields?order[id]=asc&itemsPerPage=100", who, () => fieldsTruth(who, null)]);
      for (const n of [1, 2, forms.length]) {
        const some = forms.slice(0, n);
        requests.push([`/api/v4/form-fields?${list("form.id", some)}&order[id]=asc&itemsPerPage=100`, who, () => fieldsTruth(who, some)]);
      }
    }
    const answers = new Map<string, Map<Who, string>>();
    for (const [path, who, expected] of requests) {
      const want = await expected();
      const { status, body } = await get(path, t[who]);
      expect({ path, who, status }).toEqual({ path, who, status: 200 });
      expect({ path, who, ids: ids(body) }).toEqual({ path, who, ids: want });
      answers.set(path, (answers.get(path) ?? new Map<Who, string>()).set(who, JSON.stringify(want)));
    }
    // The three callers' answers differ, so a text serving one caller's scope to another would show.
    const differ = [...answers.values()].filter((a) => new Set(a.values()).size === 3);
    expect(differ.length).toBeGreaterThanOrEqual(2);
  });
});
