import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, DEMO, loginAs } from "../helpers";
import { count, formBody, leadsPath, postForm, SIMPLE } from "./support";

let token: string;
beforeAll(async () => {
  token = await loginAs(DEMO.northwind);
});

describe("POST /api/v2.4/publisher/{publisher}/forms/{form}/campaign/{campaign}/leads", () => {
  it("stores the documented example request and answers as the document shows", async () => {
    const before = await env.DB.prepare("SELECT * FROM campaign_statistics WHERE campaign_id = 601").first<Record<string, number>>();
    const res = await postForm(
      leadsPath(12, 35, 601, "?linkId=25"),
      "form%5BfirstName%5D=Danny&form%5BlastName%5D=Hannah&form%5Bemail%5D=tech%40convertr.io&form%5Bsubmit%5D=true",
      { ...bearer(token), "CF-Connecting-IP": "203.0.113.9", "User-Agent": "publisher-client/1.0" },
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as { data: number };
    expect(body).toEqual({ data: expect.any(Number), message: "Lead was created successfully", status: 201 });

    const lead = await env.DB.prepare("SELECT * FROM leads WHERE id = ?").bind(body.data).first<Record<string, unknown>>();
    expect(lead).toMatchObject({
      campaign_id: 601, publisher_id: 12, form_id: 35, link_id: 25, processr_status: 0, flag: null,
      email: "tech@convertr.io", first_name: "Danny", last_name: "Hannah", ip: "203.0.113.9",
      user_agent: "publisher-client/1.0", over_allocation: 0,
    });
    expect(lead!.lead_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(lead!.created_ts).toBe(lead!.updated_ts);

    const datas = await env.DB.prepare("SELECT name, value, type FROM lead_datas WHERE lead_id = ? ORDER BY id")
      .bind(body.data).all();
    expect(datas.results).toEqual([
      { name: "firstName", value: "Danny", type: "core.data" },
      { name: "lastName", value: "Hannah", type: "core.data" },
      { name: "email", value: "tech@convertr.io", type: "core.data" },
      { name: "leadHash", value: lead!.lead_hash, type: "system" },
    ]);

    const after = await env.DB.prepare("SELECT * FROM campaign_statistics WHERE campaign_id = 601").first<Record<string, number>>();
    expect(after!.total_leads).toBe(before!.total_leads! + 1);
    expect(after!.processing_leads).toBe(before!.processing_leads! + 1);
    const day = new Date(lead!.created_ts as number).toISOString().slice(0, 10);
    expect(await count("SELECT total_leads AS n FROM lead_statistics_chronologies WHERE campaign_id = 601 AND day = ?", day))
      .toBeGreaterThanOrEqual(1);
  });

  it("routes every v2.x version segment to the same handler", async () => {
    for (const v of ["v2.1", "v2.4", "v2"]) {
      const res = await postForm(`/api/${v}/publisher/12/forms/35/campaign/601/leads`, formBody(SIMPLE), bearer(token));
      expect(res.status).toBe(201);
    }
    const v3 = await postForm(`/api/v3.0/publisher/12/forms/35/campaign/601/leads`, formBody(SIMPLE), bearer(token));
    expect(v3.status).toBe(404);
  });
});
