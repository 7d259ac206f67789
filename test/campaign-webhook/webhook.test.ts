import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import { call, json } from "../helpers";
import { count, formBody, postForm, SIMPLE } from "../publisher/support";

// The campaign webhook (Convertr's campaign webhook documentation): campaign API key, its own bodies, CORS, the shared capture.
const KEY: Record<number, string> = {};
beforeAll(async () => {
  for (const id of [601, 602, 603]) KEY[id] = await demoCampaignWebhookKey("acme", id);
  // An active campaign with a single publisher, for leads posted without publisherId.
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, leads_required, api_key)
                    VALUES (660, 'Single publisher', 319, 1, 0, 4102444800000, 0, 'single-publisher-webhook-key')`),
    env.DB.prepare(`INSERT INTO campaign_publishers (campaign_id, publisher_id, api_key) VALUES (660, 13, 'single-publisher-key')`),
    env.DB.prepare(`INSERT INTO forms (id, campaign_id, name) VALUES (660, 660, 'Single form')`),
    env.DB.prepare(`INSERT INTO form_fields (form_id, name, type, required, hidden, position) VALUES
                      (660, 'email', 'email', 1, 0, 0), (660, 'source', 'text', 0, 1, 1), (660, 'submit', 'submit', 0, 0, 2)`),
    env.DB.prepare(`INSERT INTO links (id, campaign_id, channel, name, destination) VALUES (661, 660, 'Email', 'single', 'https://x.test')`),
  ]);
});

const leadsUrl = (campaign: number, form: number, query: string) => `/webhook/campaign/${campaign}/global-form/${form}/leads?${query}`;
const leadCount = () => count("SELECT count(*) AS n FROM leads");

async function expectJson(res: Response | Promise<Response>, status: number, body: unknown) {
  const r = await res;
  expect({ status: r.status, body: await r.json() }).toEqual({ status, body });
}

describe("GET fields and links", () => {
  it("v2 fields carry hidden/required flags; older paths list plain names", async () => {
    const v2 = await call(`/webhook/campaign/v2/601/global-form/fields?apikey=${KEY[601]}`);
    expect(v2.status).toBe(200);
    const forms = (await v2.json()) as { formName: string; formId: number; fields: unknown[] }[];
    expect(forms.map((f) => f.formId)).toEqual([23, 35]);
    expect(forms[1]).toEqual({
      formName: "Acme Campaign - Simple Form", formId: 35,
      fields: [
        { key: "form[firstName]", hidden: false, required: true },
        { key: "form[email]", hidden: false, required: true },
        { key: "form[lastName]", hidden: false, required: true },
        { key: "form[submit]", hidden: false, required: false },
      ],
    });
    expect(forms[0]!.fields).toContainEqual({ key: "form[lookup][postcode]", hidden: false, required: false });
    await expectJson(call(`/webhook/campaign/v2/660/global-form/fields?apikey=single-publisher-webhook-key`), 200, [
      { formName: "Single form", formId: 660, fields: [
        { key: "form[email]", hidden: false, required: true },
        { key: "form[source]", hidden: true, required: false },
        { key: "form[submit]", hidden: false, required: false },
      ] },
    ]);
    for (const path of ["global-form/fields", "form/fields"]) {
      await expectJson(call(`/webhook/campaign/660/${path}?apikey=single-publisher-webhook-key`), 200, [
        { formName: "Single form", formId: 660, fields: ["form[email]", "form[source]", "form[submit]"] },
      ]);
    }
  });

  it("links", async () => {
    await expectJson(call("/webhook/campaign/660/links", { headers: { "X-Api-Key": "single-publisher-webhook-key" } }), 200, [
      { id: 661, name: "single", channel: "Email", destination: "https://x.test" },
    ]);
  });

  it("401 without the key, with a wrong key, another campaign's key, or for an unknown campaign", async () => {
    const denied = { code: 401, message: "Access denied." };
    await expectJson(call("/webhook/campaign/v2/601/global-form/fields"), 401, denied);
    await expectJson(call("/webhook/campaign/v2/601/global-form/fields?apikey=nope"), 401, denied);
    await expectJson(call(`/webhook/campaign/601/links?apikey=${KEY[602]}`), 401, denied);
    // A campaign-publisher key is not a campaign key.
    await expectJson(call("/webhook/campaign/601/links?apikey=0c463164f0d4fcb604d8fd9f80737476"), 401, denied);
    await expectJson(call(`/webhook/campaign/999/links?apikey=${KEY[601]}`), 401, denied);
  });
});

describe("POST leads", () => {
  it("creates the lead through the shared capture and answers with the webhook's body", async () => {
    const res = await postForm(leadsUrl(601, 35, `apikey=${KEY[601]}&campaignLinkId=25&publisherId=13`), formBody(SIMPLE, [["form[submit]", "1"]]), {
      "CF-Connecting-IP": "198.51.100.7",
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { data: number };
    expect(body).toEqual({ code: 201, message: "Lead was created successfully", data: expect.any(Number) });
    const lead = await env.DB.prepare("SELECT * FROM leads WHERE id = ?").bind(body.data).first<Record<string, unknown>>();
    expect(lead).toMatchObject({ campaign_id: 601, publisher_id: 13, form_id: 35, link_id: 25, ip: "198.51.100.7", processr_status: 0 });
    expect(await count("SELECT count(*) AS n FROM lead_datas WHERE lead_id = ?", body.data)).toBe(4); // 3 values + leadHash
  });

  it("without publisherId: the campaign's only publisher; several publishers → 400", async () => {
    const res = await call(leadsUrl(660, 660, "apikey=single-publisher-webhook-key&campaignLinkId=661"), json({ form: { email: "a@b.co", source: "lp" } }));
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { data: number }).data;
    expect(await count("SELECT publisher_id AS n FROM leads WHERE id = ?", id)).toBe(13);
    await expectJson(postForm(leadsUrl(601, 35, `apikey=${KEY[601]}&campaignLinkId=25`), formBody(SIMPLE)), 400, {
      code: 400, message: "publisherId is required: the campaign has several publishers.",
    });
  });

  it("refusals, each with its documented body, store nothing", async () => {
    const leads = await leadCount();
    const q = (extra: string) => `apikey=${KEY[601]}&publisherId=12&${extra}`;
    await expectJson(postForm(leadsUrl(601, 35, "campaignLinkId=25&publisherId=12"), formBody(SIMPLE)), 401, { code: 401, message: "Access denied." });
    await expectJson(postForm(leadsUrl(601, 35, `apikey=${KEY[603]}&campaignLinkId=25&publisherId=12`), formBody(SIMPLE)), 401, { code: 401, message: "Access denied." });
    await expectJson(postForm(leadsUrl(601, 35, q("")), formBody(SIMPLE)), 400, { code: 400, message: "campaignLinkId is required." });
    await expectJson(postForm(leadsUrl(601, 35, q("campaignLinkId=99")), formBody(SIMPLE)), 404, { code: 404, message: "Campaign Link not found" });
    await expectJson(postForm(leadsUrl(601, 35, `apikey=${KEY[601]}&campaignLinkId=25&publisherId=77`), formBody(SIMPLE)), 404, { code: 404, message: "Publisher not found" });
    await expectJson(postForm(leadsUrl(601, 36, q("campaignLinkId=25")), formBody(SIMPLE)), 404, { code: 404, message: "Not Found" });
    await expectJson(postForm(leadsUrl(601, 35, q("campaignLinkId=25")), formBody({ ...SIMPLE, extra: "x" })), 400, {
      code: 400, message: "Validation failed", data: [{ message: "This form should not contain extra fields." }],
    });
    await expectJson(postForm(leadsUrl(601, 23, q("campaignLinkId=25")), formBody({ lastName: "x", email: "bad", "lookup[postcode]": "p".repeat(1001) })), 400, {
      code: 400, message: "Validation failed", data: [
        { fieldName: "form[firstName]", message: "This value should not be blank." },
        { fieldName: "form[email]", message: "This value is not a valid email address." },
        { fieldName: "form[lookup][postcode]", message: "This value is too long. It should have 1000 characters or less." },
      ],
    });
    await expectJson(postForm(leadsUrl(601, 35, q("campaignLinkId=25")), "form%5BfirstName%5D=%ZZ"), 400, {
      code: 400, message: "Malformed percent-encoding in request body.",
    });
    await expectJson(postForm(leadsUrl(602, 36, `apikey=${KEY[602]}&publisherId=12&campaignLinkId=`), formBody(SIMPLE)), 400, {
      code: 400, message: "campaignLinkId is required.",
    });
    expect(await leadCount()).toBe(leads);
  });

  it("403 in Convertr's webhook shape for a campaign that takes no leads", async () => {
    await env.DB.prepare("INSERT INTO links (id, campaign_id, channel, name, destination) VALUES (662, 602, 'Email', 'l', 'https://x.test'), (663, 603, 'Email', 'l', 'https://x.test')").run();
    const leads = await leadCount();
    for (const [campaign, form, link] of [[602, 36, 662], [603, 37, 663]]) {
      const res = await postForm(leadsUrl(campaign!, form!, `apikey=${KEY[campaign!]}&publisherId=12&campaignLinkId=${link}`), formBody(SIMPLE));
      expect(res.status).toBe(403);
      expect(await res.text()).toBe('{"code":"403","error":"Campaign is inactive"}');
    }
    expect(await leadCount()).toBe(leads);
  });

  it("an Idempotency-Key retry returns the first response", async () => {
    const post = () => postForm(leadsUrl(601, 35, `apikey=${KEY[601]}&publisherId=12&campaignLinkId=26`), formBody(SIMPLE), { "Idempotency-Key": "wh-1" });
    const first = await post();
    const leads = await leadCount();
    const again = await post();
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(await first.text());
    expect(await leadCount()).toBe(leads);
  });
});

describe("CORS", () => {
  it("answers preflights and marks responses for browsers", async () => {
    const pre = await call(leadsUrl(601, 35, "campaignLinkId=25"), {
      method: "OPTIONS",
      headers: { Origin: "https://landing.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(pre.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    const res = await postForm(leadsUrl(601, 35, `apikey=${KEY[601]}&publisherId=12&campaignLinkId=25`), formBody(SIMPLE), { Origin: "https://landing.example" });
    expect(res.status).toBe(201);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    // The publisher API is not for browsers.
    const api = await call("/api/v2.4/publisher/fields/601", { headers: { Origin: "https://landing.example" } });
    expect(api.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
