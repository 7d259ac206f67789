import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../src/http/csv";
import { EXPORT_PAGE_SIZE } from "../../src/routes/v4/leads-export";
import { call } from "../helpers";
import { addLeads, get, tokens } from "./fixtures";

// GET /api/v4/leads with Accept: text/csv, black-box: every lead of the filter (across several
// internal pages), the caller's scope and columns, RFC 4180 quoting and formula neutralisation.

let t: Awaited<ReturnType<typeof tokens>>;
const MANY = EXPORT_PAGE_SIZE * 2 + 37; // more than two internal pages, not a multiple of one

beforeAll(async () => {
  await addLeads();
  // Bulk leads on campaign 602 for publisher 13, each with a captured "country" value.
  await env.DB.prepare(
    `INSERT INTO leads (id, campaign_id, publisher_id, form_id, lead_hash, flag, processr_status, email, created_ts, updated_ts)
     WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?1)
     SELECT 60000 + n, 602, 13, 36, 'bulkhash' || n, 'Valid', 1000, 'b' || n || '@bulk.example', 1767225600000 + n, 1767225600000 + n FROM s`,
  ).bind(MANY).run();
  await env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value) SELECT id, 'country', 'UK' FROM leads WHERE id > 60000`).run();
  // Hostile captured values on lead 53101 (publisher 13).
  await env.DB.prepare(
    `INSERT INTO lead_datas (lead_id, name, value) VALUES
       (53101, 'formula', '=HYPERLINK("http://evil.example","x")'), (53101, 'plus', '+44 20'), (53101, 'minus', '-1+2'),
       (53101, 'at', '@SUM(A1)'), (53101, 'tab', '\tcmd'), (53101, '=name', 'x'), (53101, 'quoted', 'say "hi", then
leave')`,
  ).run();
  // The captured email differs from the lead's copy (kept apart in the export).
  await env.DB.prepare(`UPDATE lead_datas SET value = 'other@example.org' WHERE lead_id = 53101 AND name = 'email'`).run();
  t = await tokens();
});

async function csv(query: string, headers: Record<string, string>) {
  const res = await call(`/api/v4/leads${query}`, { headers: { ...headers, Accept: "text/csv" } });
  const text = await res.text();
  const rows = res.status === 200 ? parseCsv(text)! : [];
  const [header = [], ...records] = rows;
  const col = (name: string) => header.indexOf(name);
  return { res, text, header, records, col, byId: new Map(records.map((r) => [Number(r[col("id")]), r])) };
}

describe("GET /api/v4/leads as CSV", () => {
  it("streams every lead of the filter, not one page, with the JSON collection's total", async () => {
    const all = await csv("", t.admin);
    expect(all.res.status).toBe(200);
    expect(all.res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(all.res.headers.get("Content-Disposition")).toBe('attachment; filename="leads.csv"');
    const json = (await get("/api/v4/leads", t.admin)).body;
    expect(all.records).toHaveLength(json["hydra:totalItems"]);
    const ids = all.records.map((r) => Number(r[all.col("id")]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.text.endsWith("\r\n")).toBe(true);

    const campaign = await csv("?campaign.id=602&order[id]=desc", t.admin);
    expect(campaign.records).toHaveLength(MANY);
    expect(Number(campaign.records[0]![campaign.col("id")])).toBe(60000 + MANY);
    // The captured "country" fills the platform country column, and is not repeated as lead data.
    expect(campaign.records.every((r) => r[campaign.col("country")] === "UK")).toBe(true);
    expect(campaign.header).not.toContain("leadData.country");
    // Columns are those of the result: 602's leads have no "formula" value.
    expect(campaign.header).not.toContain("formula");
  });

  it("has the Lead fields, the meta fields and one column per captured name", async () => {
    const { header, byId, col } = await csv("?id[]=53001&id[]=53101", t.admin);
    expect(header.slice(0, 3)).toEqual(["id", "publisherSubId", "formHash"]);
    expect(header).toEqual(expect.arrayContaining([
      "email", "advertiserPayout", "advertiserBillable", "leadHash", "createdTs",
      "ip", "publisherId", "publisherName", "campaignId", "campaignPublisherId", "campaignFormId", "channel", "emailDomain", "createdDate",
      "country", "userAgent", "leadStatus",
      "formula", "leadData.email",
    ]));
    expect(header.filter((h) => h === "country")).toHaveLength(1);
    // System values are meta columns, not repeated as lead data.
    expect(header).not.toContain("leadData.leadHash");
    const lead = byId.get(53101)!;
    expect(lead[col("email")]).toBe("ada@example.org");
    expect(lead[col("leadData.email")]).toBe("other@example.org");
    // Convertr's "@domain" form, neutralised like any cell starting with "@".
    expect(lead[col("emailDomain")]).toBe("'@example.org");
    expect(lead[col("createdDate")]).toBe("2026-03-01");
    // No country from Cloudflare or the form, no user agent: empty, as in the JSON Lead.
    expect(lead[col("country")]).toBe("");
    expect(lead[col("userAgent")]).toBe("");
    expect(lead[col("createdTs")]).toBe("2026-03-01T10:00:00+00:00");
    expect(lead[col("leadStatus")]).toBe("Valid");
    expect(lead[col("publisherId")]).toBe("13");
    expect(lead[col("advertiserPayout")]).toBe("10.00");
    expect(byId.get(53001)![col("formula")]).toBe("");
  });

  it("neutralises formulas and quotes as RFC 4180", async () => {
    const { text, byId, col } = await csv("?id=53101", t.admin);
    const lead = byId.get(53101)!;
    expect(lead[col("formula")]).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(lead[col("plus")]).toBe("'+44 20");
    expect(lead[col("minus")]).toBe("'-1+2");
    expect(lead[col("at")]).toBe("'@SUM(A1)");
    expect(lead[col("tab")]).toBe("'\tcmd");
    expect(lead[col("quoted")]).toBe('say "hi", then\nleave');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(text).toContain('"say ""hi"", then\nleave"');
    // Column names are captured too: a name starting a formula is neutralised in the header.
    expect(text.split("\r\n")[0]).toContain(",'=name");
    // No cell of the file starts a formula.
    const cells = parseCsv(text)!.flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  });

  it("gives a publisher user only its own leads, without the client's terms", async () => {
    const north = await csv("", t.north);
    expect(north.res.status).toBe(200);
    const ids = north.records.map((r) => Number(r[north.col("id")])).sort();
    expect(ids).toEqual([53001, 53002, 53104]);
    for (const terms of ["advertiserPayout", "baseCurrencyAdvertiserPayout", "advertiserBillable"]) expect(north.header).not.toContain(terms);
    expect(north.header).toContain("publisherPayout");
    // Names captured only on other publishers' leads are not revealed either.
    expect(north.header).not.toContain("formula");
    // "country" is a platform column for every caller; the "UK" captured on 602's leads is not in it.
    expect(north.records.every((r) => r[north.col("country")] === "")).toBe(true);
    const other = await csv("?campaign.id=602", t.north);
    expect(other.records).toEqual([]);
    expect(other.header).toContain("id");
  });

  it("refuses bad filters with a Hydra 400 and anonymous callers with 401, and keeps JSON-LD otherwise", async () => {
    const bad = await call("/api/v4/leads?campaign.id=abc", { headers: { ...t.admin, Accept: "text/csv" } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("Content-Type")).toBe("application/ld+json; charset=utf-8");
    expect(((await bad.json()) as any)["hydra:description"]).toContain("campaign.id");
    const order = await call("/api/v4/leads?order[id]=sideways", { headers: { ...t.admin, Accept: "text/csv" } });
    expect(order.status).toBe(400);
    const anon = await call("/api/v4/leads", { headers: { Accept: "text/csv" } });
    expect(anon.status).toBe(401);
    const refused = await call("/api/v4/leads", { headers: { ...t.admin, Accept: "text/csv;q=0, application/ld+json" } });
    expect(refused.headers.get("Content-Type")).toBe("application/ld+json; charset=utf-8");
    expect(((await refused.json()) as any)["hydra:member"]).toHaveLength(30);
  });
});
