import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, form, loginAs } from "../helpers";
import { get } from "./fixtures";

// hydra:totalItems of an admin's campaign-only lead list comes from campaign_statistics (no count
// over the campaign's leads); every other list is counted. Both must give the live leads' number.

let admin: Record<string, string>;
let north: Record<string, string>;
const live = async (where: string, ...binds: unknown[]) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM leads WHERE deleted_ts IS NULL AND ${where}`).bind(...binds).first<{ n: number }>())!.n;
const total = async (qs: string, who = admin) => {
  const { status, body } = await get(`/api/v4/leads?${qs}`, who);
  expect(status, qs).toBe(200);
  return body["hydra:totalItems"] as number;
};

async function capture(campaign: number, formId: number, email: string): Promise<number> {
  const res = await call(
    `/api/v2.4/publisher/12/forms/${formId}/campaign/${campaign}/leads`,
    form({ "form[firstName]": "Grace", "form[lastName]": "Hopper", "form[email]": email }, bearer(await loginAs(DEMO.northwind))),
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
  north = bearer(await loginAs(DEMO.northwind));
  for (let i = 0; i < 3; i++) await capture(601, 35, `total.${i}@example.org`);
  const gone = await capture(601, 35, "total.deleted@example.org");
  expect((await call(`/api/v4/leads/${gone}`, { method: "DELETE", headers: admin })).status).toBe(204);
});

describe("GET /api/v4/leads hydra:totalItems", () => {
  it("counts a campaign's live leads from its running total, deleted leads excluded", async () => {
    const n = await live("campaign_id = 601");
    expect(n).toBeGreaterThanOrEqual(3);
    expect(await total("campaign.id=601&order[id]=desc&itemsPerPage=2")).toBe(n);
    expect(await total("campaign.id=/api/v4/campaigns/601&page=99")).toBe(n);
    expect(await total("campaign.id[]=601&campaign.id[]=603&campaign.id[]=601")).toBe(await live("campaign_id IN (601, 603)"));
    expect(await total("campaign.id=999999")).toBe(0);
  });

  it("counts the rows when another filter or a publisher scope applies", async () => {
    const since = Date.now() - 3_600_000;
    const after = encodeURIComponent(new Date(since).toISOString());
    expect(await total(`campaign.id=601&createdTs[after]=${after}`)).toBe(await live("campaign_id = 601 AND created_ts >= ?", since));
    expect(await total("campaign.id=601&email=total.1@example.org")).toBe(1);
    expect(await total("campaign.id=601", north)).toBe(await live("campaign_id = 601 AND publisher_id = 12"));
  });

  it("matches email exactly, through the lower(email) index", async () => {
    expect(await total("email=total.2@example.org")).toBe(1);
    expect(await total("email=TOTAL.2@example.org")).toBe(0);
    expect(await total("email=total.deleted@example.org")).toBe(0);
    expect(await total("email=total.2@example.org", north)).toBe(1);
    const plan = await env.DB.prepare(
      "EXPLAIN QUERY PLAN SELECT count(*) FROM leads WHERE deleted_ts IS NULL AND publisher_id = 12 AND lower(email) = lower(?1) AND email = ?1",
    ).bind("total.2@example.org").all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join("\n")).toMatch(/INDEX leads_email_lower_idx/);
  });
});
