import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
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

describe("bodies: nested fields, JSON, multipart", () => {
  const advanced = {
    ...SIMPLE,
    promotion: "spring",
    "lookup[addressLine1]": "1 High Street",
    "lookup[addressLine2]": "Flat 2",
    "lookup[postcode]": "SW1A 1AA",
    "telephone[countryCode]": "44",
    "telephone[telephone]": "07700 900123",
  };

  async function stored(leadId: number) {
    const lead = await env.DB.prepare("SELECT * FROM leads WHERE id = ?").bind(leadId).first<Record<string, unknown>>();
    const { results } = await env.DB.prepare("SELECT name, value FROM lead_datas WHERE lead_id = ? AND type = 'core.data' ORDER BY id")
      .bind(leadId).all<{ name: string; value: string }>();
    return { lead: lead!, values: Object.fromEntries(results.map((r) => [r.name, r.value])) };
  }

  const expectAdvanced = async (res: Response) => {
    expect(res.status).toBe(201);
    const { lead, values } = await stored(((await res.json()) as { data: number }).data);
    expect(values).toEqual(advanced);
    expect(lead).toMatchObject({
      postcode: "SW1A 1AA", telephone: "07700 900123", address_line1: "1 High Street", address_line2: "Flat 2",
      address_line3: null, address_line4: null, email: SIMPLE.email,
    });
  };

  it("url-encoded form[lookup][postcode] is stored as lookup[postcode]", async () => {
    await expectAdvanced(await postForm(leadsPath(12, 23, 601), formBody(advanced, [["form[submit]", ""]]), bearer(token)));
  });

  it('JSON {"form":{…}} with nested objects', async () => {
    const { "lookup[addressLine1]": a1, "lookup[addressLine2]": a2, "lookup[postcode]": pc, "telephone[countryCode]": cc, "telephone[telephone]": tel, ...flat } = advanced;
    const res = await call(leadsPath(12, 23, 601), json({
      form: { ...flat, lookup: { addressLine1: a1, addressLine2: a2, postcode: pc }, telephone: { countryCode: cc, telephone: tel }, submit: true },
    }, "POST", bearer(token)));
    await expectAdvanced(res);
  });

  it("multipart/form-data", async () => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(advanced)) fd.set(k.includes("[") ? `form[${k.replace("[", "][")}` : `form[${k}]`, v);
    await expectAdvanced(await call(leadsPath(12, 23, 601), { method: "POST", headers: bearer(token), body: fd }));
  });

  it("trims values, keeps submitted empty optional values, never stores form[submit]", async () => {
    const res = await postForm(leadsPath(12, 23, 601), formBody({ firstName: "  Ada ", lastName: "Lovelace\t", email: " ada@example.org ", title: "" }, [["form[submit]", "true"]]), bearer(token));
    expect(res.status).toBe(201);
    const { lead, values } = await stored(((await res.json()) as { data: number }).data);
    expect(values).toEqual({ firstName: "Ada", lastName: "Lovelace", email: "ada@example.org", title: "" });
    expect(lead).toMatchObject({ first_name: "Ada", last_name: "Lovelace", email: "ada@example.org", link_id: null });
  });
});
