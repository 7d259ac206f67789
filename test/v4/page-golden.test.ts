import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers";
import { tokens } from "./fixtures";

// A v4 page of leads, byte for byte as recorded from the code at 50cb0b8, before later work on the
// page's CPU (row decoding, items, the plain-data check): test/v4/collection-rows compares a page with
// its items, which go through the same serialisation, so a change there would move both sides at once.
// Here every value is fixed (ids, times, values): leads with notes, job results, countries, stored
// values that replace a platform value, a delivered lead, Mark as Other, a deleted value in a
// block, a USD campaign (base-currency amounts), an admin's page (commercial terms) and a
// publisher user's page (Northwind, publisher 12: its own leads only, no commercial terms).

const golden = import.meta.glob("./golden/leads-page-*.json", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const adminPage = golden["./golden/leads-page-admin.json"]!;
const publisherPage = golden["./golden/leads-page-publisher.json"]!;

const T = Date.parse("2026-05-04T03:02:01.000Z");
const LEADS = [
  // id, publisher, flag, qa, status, score, max, hardfail, over, advBill, pubBill, pubPayout, advPayout, email, first, last, phone, postcode, ip, agent, country, dataId, data, delivered, otherReason, otherComment, created, updated
  [58101, 12, "Valid", "Valid", 1000, 7, 10, 0, 0, 1, 1, "1.50", "12.345", "ada@example.org", "Ada", "Lovelace", "+447700900001", "SW1A 1AA", "203.0.113.5", "Mozilla/5.0 \"quoted\"", "GB", 900, JSON.stringify([["email", "ada@example.org"], ["firstName", "Ada"], ["leadHash"]]), T + 5000, null, null, T, T + 61_000],
  [58102, 12, "Invalid", "Invalid", 1000, 0, 10, 1, 0, 0, 0, "0.00", "0.00", "bob@example.org", "Bob", null, null, null, null, null, "DE", 903, JSON.stringify([["country", "Narnia"], null, ["leadHash"], ["custom", "x\u2028y", "custom.data", T + 1, T + 1, 990]]), null, "Replacement", "asked \\ again", T + 86_400_000, T + 90_000_000],
  [58103, 13, null, null, 100, 0, 0, 0, 1, 0, 1, "2.00", "3.10", null, null, null, null, null, "198.51.100.7", "curl/8", null, null, null, null, "Other", null, T - 3_600_000, T - 3_600_000],
  [58104, 12, "Caution", "Caution", 510, 3, 10, 0, 0, 1, 0, "0.99", "100.00", "Zoë <z>@example.org", "Zoë\t", "O'Neil", "", "", "2001:db8::1", "", "FR", 906, JSON.stringify([["emailDomain", "@captured.example"], ["leadHash"]]), null, null, null, Date.parse("1999-12-31T23:59:59.000Z"), Date.parse("2000-02-29T12:00:00.000Z")],
] as const;

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
  const jobs = (await env.DB.prepare(`SELECT id FROM campaign_processr_jobs WHERE campaign_id = 601 ORDER BY id LIMIT 2`).all<{ id: number }>()).results;
  expect(jobs.length).toBe(2);
  await env.DB.batch([
    env.DB.prepare(`UPDATE campaigns SET currency_id = 2 WHERE id = 601`),
    env.DB.prepare(`UPDATE currencies SET rate_to_base = '0.7913' WHERE id = 2`),
    // The admin's page counts from the running totals (leads.ts campaignTotal): these rows are written straight to D1.
    env.DB.prepare(`INSERT INTO campaign_statistics (campaign_id, total_leads) VALUES (601, 4) ON CONFLICT (campaign_id) DO UPDATE SET total_leads = total_leads + 4`),
    ...LEADS.map((l) =>
      env.DB.prepare(
        `INSERT INTO leads (id, campaign_id, publisher_id, form_id, lead_hash, flag, qa_result, processr_status, score, max_score, hardfail,
                            over_allocation, advertiser_billable, publisher_billable, publisher_payout, advertiser_payout, email, first_name,
                            last_name, telephone, postcode, ip, user_agent, country, data_id, data, first_delivered_ts, other_reason,
                            other_comment, created_ts, updated_ts)
         VALUES (?1, 601, ?2, 35, printf('golden%d', ?1), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27, ?28)`,
      ).bind(...l),
    ),
    env.DB.prepare(
      `INSERT INTO lead_note_rows (id, lead_id, author, note, created_ts) VALUES (7701, 58101, 'a', 'one', ?1), (7702, 58104, 'a', 'two', ?1), (7703, 58101, 'a', 'three', ?1)`,
    ).bind(T),
    env.DB.prepare(
      `INSERT INTO job_results (id, lead_id, campaign_processr_job_id, status, message, score, started_ts, finished_ts)
       VALUES (8801, 58101, ?1, 'passed', '', 5, ?3, ?3), (8802, 58101, ?2, 'failed', 'no', 0, ?3, ?3), (8803, 58102, ?1, 'not_run', '', 0, ?3, ?3)`,
    ).bind(jobs[0]!.id, jobs[1]!.id, T),
  ]);
});

const page = async (query: string, headers: Record<string, string>) => {
  const res = await call(`/api/v4/leads?${query}`, { headers });
  expect(res.status).toBe(200);
  return res.text();
};

describe("a v4 page of leads is byte for byte the recorded one", () => {
  it("as an admin", async () => {
    const text = await page("campaign.id=601&order[id]=desc&itemsPerPage=4", t.admin);
    expect(text).toBe(adminPage.trimEnd());
  });

  it("as a publisher user", async () => {
    const text = await page("campaign.id=601&order[id]=desc&itemsPerPage=2", t.north);
    expect(text).toBe(publisherPage.trimEnd());
  });
});
