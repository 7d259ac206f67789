import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { httpIntegrationConfig, parseHeaderLines } from "../../src/integrations/http-integration";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { delivery, insertJob, insertLead, providerLogs, recordingEnv, stubVendor, withAdaptor } from "./helpers";

// The Convoso-style HTTP integration against a stubbed vendor endpoint. `base` lists its rows
// inline; a POST job is saved with them in an adaptor (withAdaptor), as the API requires.
const URL_BASE = "https://crm.example.test/v1/leads/insert";
const base = {
  name: "Vendor CRM",
  url: URL_BASE,
  authQuery: "auth_token=SECRET123&list_id=5",
  headers: "X-Vendor: acme|Content-length: 0",
  method: "POST",
  postDataType: "RAW",
  responseType: "JSON",
  responseKey: "lead_id",
  fields: [
    { field: "firstName", mappedTo: "first_name" },
    { field: "emailAddress", mappedTo: "email, email_address" },
    { field: "phone", mappedTo: "phone_number", defaultValue: "0000" },
    { field: "leadId", mappedTo: "external_id" },
    { field: "surname", mappedTo: "" },
  ],
};

const vendor = stubVendor(() => Response.json({ success: true, lead_id: "L-1" }));

async function run(config: Record<string, unknown>) {
  const jobId = await insertJob(602, "http_integration", await withAdaptor(config), "Vendor CRM");
  const lead = await insertLead(602, 12, 36, { firstName: "Joan", surname: "Clarke", emailAddress: "joan@example.org" });
  const { env: e, sent } = recordingEnv();
  const verdict = await handleIntegrateMessage(e, { type: "integrate", leadId: lead.id, jobId });
  return { jobId, leadId: lead.id, verdict, sent, d: (await delivery(lead.id, jobId))! };
}

const bodyOf = async (req: Request) => new TextDecoder().decode(await req.arrayBuffer());

describe("HTTP integration delivery", () => {
  it("POSTs the adaptor's fields url-encoded, with auth query, headers, fan-out, defaults, and stores the response key", async () => {
    vendor.reply = () => Response.json({ success: true, lead_id: "L-77" });
    const { leadId, verdict, d } = await run(base);
    expect(verdict).toBe("ack");
    const req = vendor.requests[0]!;
    const url = new URL(req.url);
    expect(url.origin + url.pathname).toBe(URL_BASE);
    expect(url.searchParams.get("auth_token")).toBe("SECRET123");
    expect(url.searchParams.get("list_id")).toBe("5");
    expect(req.headers.get("X-Vendor")).toBe("acme");
    expect(req.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(req.headers.get("Idempotency-Key")).toBe(d.idempotency_key);
    expect([...new URLSearchParams(await bodyOf(req))]).toEqual([
      ["first_name", "Joan"], ["email", "joan@example.org"], ["email_address", "joan@example.org"],
      ["phone_number", "0000"], ["external_id", String(leadId)],
    ]);
    expect(d).toMatchObject({ status: "delivered", response_value: "L-77" });
    const logs = await providerLogs(leadId);
    expect(logs).toHaveLength(1);
    // Every parameter of the authentication query string is a credential for the log.
    expect(logs[0]!.context.request.url).toBe(`${URL_BASE}?auth_token=***&list_id=***`);
    expect(logs[0]!.context.response).toMatchObject({ status: 200 });
    expect(typeof logs[0]!.context.durationMs).toBe("number");
    expect(JSON.stringify(logs)).not.toContain("SECRET123");
  });

  it("maps the platform lead data (emailDomain, createdDate, country, ip, userAgent) like captured values", async () => {
    vendor.reply = () => Response.json({ lead_id: 6 });
    const fields = ["emailDomain", "createdDate", "country", "ip", "userAgent"].map((f) => ({ field: f, mappedTo: f.toLowerCase() }));
    const { leadId } = await run({ ...base, postDataType: "JSON", fields });
    const lead = await env.DB.prepare("SELECT created_ts FROM leads WHERE id = ?").bind(leadId).first<{ created_ts: number }>();
    // The lead has no country, IP or user agent: those are sent as "".
    expect(JSON.parse(await bodyOf(vendor.requests[0]!))).toEqual({
      emaildomain: "@example.org",
      createddate: new Date(lead!.created_ts).toISOString().slice(0, 10),
      country: "", ip: "", useragent: "",
    });
    vendor.requests.length = 0;
    await env.DB.prepare("UPDATE leads SET country = 'IE', ip = '198.51.100.4' WHERE id = ?").bind(leadId).run();
    const jobId = await insertJob(602, "http_integration", await withAdaptor({ ...base, postDataType: "JSON", fields }), "Vendor CRM 2");
    await handleIntegrateMessage(recordingEnv().env, { type: "integrate", leadId, jobId });
    expect(JSON.parse(await bodyOf(vendor.requests[0]!))).toMatchObject({ country: "Ireland", ip: "198.51.100.4" });
  });

  it("sends JSON when the post data type is JSON, and query parameters with GET", async () => {
    vendor.reply = () => Response.json({ lead_id: 5 });
    await run({ ...base, postDataType: "JSON" });
    expect(vendor.requests[0]!.headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(await bodyOf(vendor.requests[0]!))).toMatchObject({ first_name: "Joan", email_address: "joan@example.org" });
    vendor.requests.length = 0;
    await run({ ...base, method: "GET" });
    const url = new URL(vendor.requests[0]!.url);
    expect(vendor.requests[0]!.method).toBe("GET");
    expect(url.searchParams.get("first_name")).toBe("Joan");
    expect(url.searchParams.get("auth_token")).toBe("SECRET123");
  });

  it("reads XML and delimited TEXT responses", async () => {
    vendor.reply = () => new Response("<Response><status>ok</status><lead><id>X-9</id></lead></Response>", { headers: { "Content-Type": "application/xml" } });
    expect((await run({ ...base, responseType: "XML", responseKey: "Response.lead.id" })).d).toMatchObject({ status: "delivered", response_value: "X-9" });
    vendor.reply = () => new Response("status=ok|lead_id=T-3");
    expect((await run({ ...base, responseType: "TEXT", delimiter: "|" })).d).toMatchObject({ status: "delivered", response_value: "T-3" });
  });

  it("applies the success rule: success string, truthy response key, parseable body", async () => {
    vendor.reply = () => Response.json({ result: false, error_description: "Duplicate lead" });
    const falsy = await run({ ...base, responseKey: "result" });
    expect(falsy.d.status).toBe("failed");
    expect(falsy.d.last_error).toBe('HTTP 200, but the response key "result" is "false".');
    vendor.reply = () => new Response("queued");
    const noString = await run({ ...base, responseKey: "", successString: "accepted" });
    expect(noString.d.last_error).toBe('HTTP 200, but the success string "accepted" is not in the response.');
    const wrongType = await run({ ...base, responseType: "JSON" });
    expect(wrongType.d.last_error).toMatch(/cannot be read: The response is not valid JSON/);
    vendor.reply = () => new Response("OK: accepted");
    expect((await run({ ...base, responseKey: "", successString: "accepted" })).d.status).toBe("delivered");
  });

  it("treats redirects and 4xx as final, 5xx as transient", async () => {
    vendor.reply = () => new Response(null, { status: 302, headers: { Location: "https://elsewhere.example.test/" } });
    expect((await run(base)).d.last_error).toMatch(/^HTTP 302: redirects are not followed/);
    vendor.reply = () => new Response("list_id invalid", { status: 422 });
    const final = await run(base);
    expect(final.d).toMatchObject({ status: "failed", last_error: "HTTP 422: list_id invalid" });
    expect(final.sent).toEqual([]);
    vendor.reply = () => new Response("busy", { status: 502 });
    const transient = await run(base);
    expect(transient.d.status).toBe("pending");
    expect(transient.sent).toHaveLength(1);
  });

  it("does not deliver when the job is inactive", async () => {
    const { d, verdict } = await run({ ...base, active: false });
    expect(verdict).toBe("ack");
    expect(vendor.requests).toHaveLength(0);
    expect(d.status).toBe("pending");
  });
});

describe("HTTP integration configuration", () => {
  it("validates the Convoso fields", () => {
    const posted = { ...base, fields: [], adaptorId: 1 };
    expect(httpIntegrationConfig.safeParse(posted).success).toBe(true);
    expect(httpIntegrationConfig.safeParse({ ...base, method: "GET" }).success).toBe(true);
    const badEnums = httpIntegrationConfig.safeParse({ ...posted, method: "PUT", responseType: "CSV", fields: [{ mappedTo: "x" }] });
    expect(badEnums.error!.issues.map((i) => i.path.join("."))).toEqual(["method", "responseType", "fields.0.field"]);
    const badValues = httpIntegrationConfig.safeParse({ ...posted, url: "ftp://x", headers: "NoColonHere", authQuery: "?a=1" });
    expect(badValues.error!.issues.map((i) => i.path.join("."))).toEqual(["url", "headers", "authQuery"]);
    expect(parseHeaderLines(" Authorization: OAuth abc | X-A:1|Content-length: 0 |")).toEqual([["Authorization", "OAuth abc"], ["X-A", "1"]]);
  });
});

describe("POST /api/v4/campaign-processr-jobs/{id}/test", () => {
  it("runs the integration for a lead now, returns the result and logs it as a test, without recording a delivery", async () => {
    vendor.reply = () => Response.json({ lead_id: "T-100" });
    const jobId = await insertJob(602, "http_integration", await withAdaptor(base), "Vendor CRM");
    const lead = await insertLead(602, 12, 36, { firstName: "Mavis", surname: "Batey", emailAddress: "mavis@example.org" });
    const admin = await loginAs(DEMO.admin);
    const res = await call(`/api/v4/campaign-processr-jobs/${jobId}/test`, json({ lead: `/api/v4/leads/${lead.id}` }, "POST", bearer(admin)));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      "@type": "IntegrationTestResult", job: `/api/v4/campaign-processr-jobs/${jobId}`, lead: `/api/v4/leads/${lead.id}`,
      outcome: "delivered", message: "HTTP 200, lead_id = T-100", statusCode: 200, responseValue: "T-100",
    });
    expect(body.log).toMatch(/^\/api\/v4\/logs\/\d+$/);
    expect(await delivery(lead.id, jobId)).toBeNull();
    const logs = await providerLogs(lead.id);
    expect(logs[0]!.context.test).toBe(true);
    expect(logs[0]!.message).toMatch(/^Test: /);
  });

  it("without a lead, tests with the campaign's most recent lead; the job's Logs list the call with its Result", async () => {
    vendor.reply = () => Response.json({ lead_id: "T-200" });
    // GET: the lead goes in the URL, which the test can read (a test call writes nothing to the lead).
    const jobId = await insertJob(602, "http_integration", { ...base, method: "GET" }, "Vendor CRM");
    const older = await insertLead(602, 12, 36, { firstName: "Older" });
    const latest = await insertLead(602, 12, 36, { firstName: "Latest" });
    await env.DB.prepare("UPDATE leads SET created_ts = created_ts - 60000 WHERE id = ?").bind(older.id).run();
    const admin = await loginAs(DEMO.admin);
    const res = await call(`/api/v4/campaign-processr-jobs/${jobId}/test`, json({}, "POST", bearer(admin)));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ lead: `/api/v4/leads/${latest.id}`, outcome: "delivered" });
    expect(new URL(vendor.requests[0]!.url).searchParams.get("first_name")).toBe("Latest");
    const logs = await call(`/api/v4/logs?type=provider&campaignProcessrJob=/api/v4/campaign-processr-jobs/${jobId}`, { headers: bearer(admin) });
    const rows = ((await logs.json()) as { "hydra:member": Record<string, unknown>[] })["hydra:member"];
    expect(rows.map((r) => [r.lead, r.result])).toEqual([[`/api/v4/leads/${latest.id}`, '{"lead_id":"T-200"}']]);
    // A network failure has no Result (Convoso's "null").
    vendor.reply = () => {
      throw new TypeError("connection refused");
    };
    await call(`/api/v4/campaign-processr-jobs/${jobId}/test`, json({ lead: older.id }, "POST", bearer(admin)));
    const after = await call(`/api/v4/logs?campaignProcessrJob=${jobId}&order[id]=desc`, { headers: bearer(admin) });
    const latestRow = ((await after.json()) as { "hydra:member": Record<string, unknown>[] })["hydra:member"][0]!;
    expect(latestRow).toMatchObject({ lead: `/api/v4/leads/${older.id}`, result: null });
  });

  it("answers 404, 403 and 422 as documented", async () => {
    const admin = await loginAs(DEMO.admin);
    const httpJob = await insertJob(602, "http_integration", await withAdaptor(base));
    const lead = await insertLead(602, 12, 36, { firstName: "A" });
    expect((await call("/api/v4/campaign-processr-jobs/999999/test", json({ lead: lead.id }, "POST", bearer(admin)))).status).toBe(404);
    const pub = await loginAs(DEMO.northwind);
    expect((await call(`/api/v4/campaign-processr-jobs/${httpJob}/test`, json({ lead: lead.id }, "POST", bearer(pub)))).status).toBe(403);
    const otherCampaign = await insertLead(601, 12, 35, { firstName: "B" });
    const wrongLead = await call(`/api/v4/campaign-processr-jobs/${httpJob}/test`, json({ lead: otherCampaign.id }, "POST", bearer(admin)));
    expect(wrongLead.status).toBe(422);
    expect(((await wrongLead.json()) as { violations: { propertyPath: string }[] }).violations[0]!.propertyPath).toBe("lead");
    expect((await call(`/api/v4/campaign-processr-jobs/${httpJob}/test`, json({ lead: "/api/v4/campaigns/602" }, "POST", bearer(admin)))).status).toBe(422);
    const connect = await call("/api/v4/campaign-processr-jobs/9001/test", json({ lead: lead.id }, "POST", bearer(admin)));
    expect(connect.status).toBe(422);
    const broken = await insertJob(602, "http_integration", await withAdaptor({ ...base, headers: "broken" }));
    const res = await call(`/api/v4/campaign-processr-jobs/${broken}/test`, json({ lead: lead.id }, "POST", bearer(admin)));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { violations: { propertyPath: string }[] }).violations[0]!.propertyPath).toBe("config.headers");
    expect(vendor.requests).toHaveLength(0);
  });
});
