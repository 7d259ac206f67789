import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { ConvertrReceiver } from "./convertr-receiver";
import { delivery, type FetchHandler, insertJob, insertLead, providerLogs, recordingEnv, stubFetch } from "./helpers";

// Convertr Connect into a Convertr instance that knows nothing of leadflare: the stand-in of
// ./convertr-receiver.ts at https://bigclient.cvtr.io, reached through the subdomain "bigclient".
// Tokens come from the API-key grant and are cached; an expired token is renewed once.

const CLIENT = { clientId: "7_2b8gk1x0c9hwsoo4oswgk4sk0o", clientSecret: "5kq0x1v2w3c4s8g0o4kk8cw0g" };
const KEYS = new Map([
  ["b1g0c11e47a91c0ffee0000000000001", { publisherId: 44, campaignId: 9001 }],
  ["b1g0c11e47a91c0ffee0000000000002", { publisherId: 44, campaignId: 9001 }],
  ["b1g0c11e47a91c0ffee0000000000003", { publisherId: 44, campaignId: 9002 }],
]);
const receiver = new ConvertrReceiver("https://bigclient.cvtr.io", CLIENT, KEYS, new Map([
  [9001, {
    forms: [
      { formId: 35, formName: "Big Client - Simple Form", fields: ["form[firstName]", "form[email]", "form[lastName]", "form[submit]"] },
      { formId: 23, formName: "Big Client - Advanced Form", fields: ["form[firstName]", "form[lastName]", "form[email]", "form[lookup][postcode]", "form[submit]"] },
    ],
    links: [{ id: 25, name: "big-email", channel: "Email", destination: "https://forms.bigclient.example/email" }],
  }],
  [9002, { forms: [], links: [] }],
]));

const handler: { current: FetchHandler } = {
  current: (req) => (receiver.handles(req) ? receiver.handle(req) : new Response("<h1>404 Not Found</h1>", { status: 404, headers: { "Content-Type": "text/html" } })),
};
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const config = (apiKey: string, extra: Record<string, unknown> = {}) => ({
  subdomain: "bigclient", ...CLIENT, apiKey, publisherId: 44, campaignId: 9001, formId: 23, linkId: 25,
  mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress", "lookup[postcode]": "postcode" },
  ...extra,
});

let seq = 0;
async function deliverOne(jobId: number) {
  seq += 1;
  const lead = await insertLead(602, 12, 36, { firstName: "Hedy", surname: "Lamarr", emailAddress: `hedy${seq}@example.org`, postcode: "W1A 1AA" });
  const { env: e, sent } = recordingEnv();
  expect(await handleIntegrateMessage(e, { type: "integrate", leadId: lead.id, jobId })).toBe("ack");
  return { leadId: lead.id, sent, d: (await delivery(lead.id, jobId))! };
}

describe("Convertr Connect into a Convertr instance", () => {
  it("delivers like a publisher: API-key grant token, form[…] url-encoded, lead id from the 201 body; sync tags unavailable", async () => {
    const jobId = await insertJob(602, "convertr_connect", config("b1g0c11e47a91c0ffee0000000000001"));
    const before = receiver.tokenRequests;
    const { leadId, d } = await deliverOne(jobId);
    expect(d).toMatchObject({ status: "delivered", attempts: 1 });
    const got = receiver.leads.at(-1)!;
    expect(d.remote_lead_id).toBe(String(got.id));
    expect(got).toMatchObject({ publisherId: 44, formId: 23, campaignId: 9001, linkId: 25, contentType: "application/x-www-form-urlencoded" });
    expect(got.fields).toEqual({
      "form[firstName]": "Hedy", "form[lastName]": "Lamarr", "form[email]": `hedy${seq}@example.org`, "form[lookup][postcode]": "W1A 1AA",
    });
    expect(got.body).toContain("form%5Blookup%5D%5Bpostcode%5D=W1A+1AA");
    expect(receiver.tokenRequests).toBe(before + 1);
    // It asked whether the instance has leadflare's extension, and says plainly that it has not.
    expect(receiver.requests).toContain("GET /.well-known/leadflare");
    const logs = await providerLogs(leadId);
    expect(logs.map((l) => l.message)).toEqual([expect.stringContaining(`Client lead ${got.id} created; sync tags are not available at this client`)]);
    expect(JSON.stringify(logs)).not.toContain("b1g0c11e47a91c0ffee0000000000001");
  });

  it("reuses its token until it expires, then renews it once on the 401 and posts the lead exactly once", async () => {
    const jobId = await insertJob(602, "convertr_connect", config("b1g0c11e47a91c0ffee0000000000002", { syncTags: false }));
    const start = receiver.tokenRequests;
    await deliverOne(jobId);
    await deliverOne(jobId);
    expect(receiver.tokenRequests).toBe(start + 1);

    receiver.expireTokens();
    const leadsBefore = receiver.leads.length;
    const { d } = await deliverOne(jobId);
    expect(d).toMatchObject({ status: "delivered", attempts: 1 });
    expect(receiver.tokenRequests).toBe(start + 2);
    expect(receiver.leads.length).toBe(leadsBefore + 1);
  });

  it("retries later when the token endpoint is down, without posting anything", async () => {
    const jobId = await insertJob(602, "convertr_connect", config("b1g0c11e47a91c0ffee0000000000001", { syncTags: false, apiKey: "b1g0c11e47a91c0ffee0000000000009" }));
    KEYS.set("b1g0c11e47a91c0ffee0000000000009", { publisherId: 44, campaignId: 9001 });
    receiver.tokenOutage = 503;
    try {
      const leadsBefore = receiver.leads.length;
      const { d, sent, leadId } = await deliverOne(jobId);
      expect(d.status).toBe("pending");
      expect(d.last_error).toContain("HTTP 503");
      expect(sent).toHaveLength(1);
      expect(receiver.leads.length).toBe(leadsBefore);
      // The failed token call is in the provider log, without its body (client secret, API key).
      const logs = await providerLogs(leadId);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({ level: "warning", context: { request: { method: "POST", url: "https://bigclient.cvtr.io/oauth/v2/token", body: null }, response: { status: 503 } } });
      expect(JSON.stringify(logs)).not.toMatch(/b1g0c11e47a91c0ffee0000000000009|5kq0x1v2w3c4s8g0o4kk8cw0g/);
    } finally {
      receiver.tokenOutage = null;
    }
  });

  it("rejects the delivery, naming the API key, when the client refuses the key", async () => {
    const jobId = await insertJob(602, "convertr_connect", config("00000000000000000000000000000000", { syncTags: false }));
    const { d } = await deliverOne(jobId);
    expect(d.status).toBe("failed");
    expect(d.last_error).toMatch(/refused the API key/);
  });
});

describe("the Connect setup against a Convertr instance (documented publisher API only)", () => {
  type Violations = { violations: { propertyPath: string; message: string }[] };
  const target = { subdomain: "bigclient", ...CLIENT, apiKey: "b1g0c11e47a91c0ffee0000000000001", publisherId: 44, campaignId: 9001 };
  const discover = async (body: unknown) =>
    call("/api/v4/convertr-connect/discover", json(body, "POST", bearer(await loginAs(DEMO.admin))));
  const violationsOf = async (res: Response) => {
    expect(res.status).toBe(422);
    return ((await res.json()) as Violations).violations;
  };

  it("lists forms and links through fields/links, and says that sync tags are unavailable", async () => {
    const res = await discover(target);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { baseUrl: string; forms: { formId: number; fields: { name: string }[] }[]; links: { id: number }[]; syncTags: { available: boolean; message: string } };
    expect(body.baseUrl).toBe("https://bigclient.cvtr.io");
    expect(body.forms.map((f) => f.formId)).toEqual([35, 23]);
    expect(body.forms[1]!.fields.map((f) => f.name)).toContain("lookup[postcode]");
    expect(body.links.map((l) => l.id)).toEqual([25]);
    expect(body.syncTags.available).toBe(false);
    expect(body.syncTags.message).toMatch(/sync tags are not available/);
  });

  it("gives a distinct message naming the field for a wrong subdomain, client, key, campaign and an unreachable host", async () => {
    const wrongSub = await violationsOf(await discover({ ...target, subdomain: "nosuchclient" }));
    expect(wrongSub).toEqual([{ propertyPath: "subdomain", message: expect.stringMatching(/does not look like a Convertr instance.*check subdomain/) }]);
    const wrongClient = await violationsOf(await discover({ ...target, clientSecret: "wrong" }));
    expect(wrongClient).toEqual([{ propertyPath: "clientId", message: expect.stringMatching(/refused clientId\/clientSecret/) }]);
    const wrongKey = await violationsOf(await discover({ ...target, apiKey: "ffffffffffffffffffffffffffffffff" }));
    expect(wrongKey).toEqual([{ propertyPath: "apiKey", message: expect.stringMatching(/refused the API key/) }]);
    const wrongCampaign = await violationsOf(await discover({ ...target, apiKey: "b1g0c11e47a91c0ffee0000000000003" }));
    expect(wrongCampaign).toEqual([{ propertyPath: "campaignId", message: "Campaign 9001 is not covered by this API key at the client." }]);
    const both = await violationsOf(await discover({ ...target, enterpriseUrl: "https://bigclient.example" }));
    expect(both[0]!.propertyPath).toBe("subdomain");

    const saved = handler.current;
    handler.current = () => {
      throw new TypeError("getaddrinfo ENOTFOUND bigclient.cvtr.io");
    };
    try {
      const down = await discover({ ...target, subdomain: "unreachable" });
      expect(down.status).toBe(502);
      expect(((await down.json()) as Record<string, string>)["hydra:description"]).toMatch(/Could not reach https:\/\/unreachable\.cvtr\.io .*check subdomain/);
    } finally {
      handler.current = saved;
    }
  });

  it("checks the mapping against the chosen form when the job is saved", async () => {
    const admin = await loginAs(DEMO.admin);
    const save = (cfg: unknown) =>
      call("/api/v4/campaign-processr-jobs", json({ campaign: "/api/v4/campaigns/602", type: "convertr_connect", label: "Big Client", config: cfg }, "POST", bearer(admin)));
    const base = { ...target, formId: 35, linkId: 25, mapping: { firstName: "firstName", lastName: "lastName", email: "email" } };
    const created = await save(base);
    expect(created.status).toBe(201);
    const jobs = async () => (await env.DB.prepare("SELECT id, config FROM campaign_processr_jobs WHERE type = 'convertr_connect' ORDER BY id").all()).results;
    const saved = await jobs();

    const notOnForm = await violationsOf(await save({ ...base, mapping: { ...base.mapping, "lookup[postcode]": "email" } }));
    expect(notOnForm).toEqual([{ propertyPath: "config.mapping.lookup[postcode]", message: expect.stringMatching(/not a field of the client's form 35/) }]);
    const unknownLocal = await violationsOf(await save({ ...base, mapping: { ...base.mapping, email: "emailAddress" } }));
    expect(unknownLocal).toEqual([{ propertyPath: "config.mapping.email", message: expect.stringMatching(/"emailAddress" is not a field of this campaign/) }]);
    const noForm = await violationsOf(await save({ ...base, formId: 99 }));
    expect(noForm).toEqual([{ propertyPath: "config.formId", message: expect.stringMatching(/has no form 99 \(its forms: 35, 23\)/) }]);
    const noLink = await violationsOf(await save({ ...base, linkId: 77 }));
    expect(noLink[0]!.propertyPath).toBe("config.linkId");
    const badKey = await violationsOf(await save({ ...base, apiKey: "ffffffffffffffffffffffffffffffff" }));
    expect(badKey[0]!.propertyPath).toBe("config.apiKey");

    // A change to the saved job is checked the same way; refused, it leaves the job as it was.
    const { id } = (await created.json()) as { id: number };
    const put = await call(`/api/v4/campaign-processr-jobs/${id}`, json({ config: { ...base, mapping: { ...base.mapping, "lookup[postcode]": "postcode" } } }, "PUT", bearer(admin)));
    expect((await violationsOf(put)).map((v) => v.message)).toEqual([
      expect.stringMatching(/"lookup\[postcode\]" is not a field of the client's form 35/),
      expect.stringMatching(/"postcode" is not a field of this campaign/),
    ]);
    expect(await jobs()).toEqual(saved);
  });
});
