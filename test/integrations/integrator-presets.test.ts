import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { httpIntegrationConfig } from "../../src/integrations/http-integration";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { delivery, type FetchHandler, insertJob, insertLead, recordingEnv, stubFetch, withAdaptor } from "./helpers";

// Convoso's "API Integrator" presets (field G): the request each one produces, against a stubbed fetch.
const PORTAL = "6012345";
const FORM = "78c2891f-ebdd-44c0-bd94-15c012bbbfbf";
const fields = [
  { field: "emailAddress", mappedTo: "email" },
  { field: "firstName", mappedTo: "firstname" },
  { field: "surname", mappedTo: "lastname" },
];
const v3 = { name: "HubSpot", integrator: "hubspot_v3", portalId: Number(PORTAL), formGuid: FORM, fields };
const v1 = { name: "HubSpot legacy", integrator: "hubspot_v1", portalId: PORTAL, formGuid: FORM, fields };

const requests: Request[] = [];
let reply: (req: Request) => Response = () => new Response(null, { status: 204 });
const handler: { current: FetchHandler } = { current: (req) => (requests.push(req), reply(req)) };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());
beforeEach(() => {
  requests.length = 0;
});

async function run(config: Record<string, unknown>, ip: string | null = "203.0.113.9") {
  const jobId = await insertJob(602, "http_integration", await withAdaptor(config), "HubSpot");
  const lead = await insertLead(602, 12, 36, { firstName: "Joan", surname: "Clarke", emailAddress: "joan@example.org" });
  await env.DB.prepare("UPDATE leads SET ip = ? WHERE id = ?").bind(ip, lead.id).run();
  const { env: e, sent } = recordingEnv();
  await handleIntegrateMessage(e, { type: "integrate", leadId: lead.id, jobId });
  return { jobId, leadId: lead.id, sent, d: (await delivery(lead.id, jobId))! };
}

const bodyOf = async (req: Request) => new TextDecoder().decode(await req.arrayBuffer());

describe("HubSpot v3 preset", () => {
  it("POSTs the Forms API v3 JSON submission to api.hsforms.com and reads the JSON answer", async () => {
    reply = () => Response.json({ inlineMessage: "Thanks for submitting the form." });
    const { d } = await run(v3);
    const req = requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe(`https://api.hsforms.com/submissions/v3/integration/submit/${PORTAL}/${FORM}`);
    expect(req.headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(await bodyOf(req))).toEqual({
      fields: [
        { name: "email", value: "joan@example.org" },
        { name: "firstname", value: "Joan" },
        { name: "lastname", value: "Clarke" },
      ],
      context: { ipAddress: "203.0.113.9" },
    });
    expect(d).toMatchObject({ status: "delivered", last_error: null });
  });

  it("records HubSpot's validation error as final, and leaves the context out without an IP", async () => {
    const error = { status: "error", message: "The request is not valid", errors: [{ message: "Error in 'fields.email'. Invalid email address", errorType: "INVALID_EMAIL" }] };
    reply = () => Response.json(error, { status: 400 });
    const { d, sent } = await run({ ...v3, responseKey: "inlineMessage" }, null);
    expect(JSON.parse(await bodyOf(requests[0]!))).not.toHaveProperty("context");
    expect(d.status).toBe("failed");
    expect(d.last_error).toContain("HTTP 400: ");
    expect(d.last_error).toContain("INVALID_EMAIL");
    expect(sent).toEqual([]);
  });
});

describe("HubSpot v1 preset", () => {
  it("POSTs url-encoded fields and hs_context to forms.hubspot.com; 204 No Content is a delivery", async () => {
    reply = () => new Response(null, { status: 204 });
    const { d } = await run(v1);
    const req = requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe(`https://forms.hubspot.com/uploads/form/v2/${PORTAL}/${FORM}`);
    expect(req.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect([...new URLSearchParams(await bodyOf(req))]).toEqual([
      ["email", "joan@example.org"], ["firstname", "Joan"], ["lastname", "Clarke"], ["hs_context", '{"ipAddress":"203.0.113.9"}'],
    ]);
    expect(d).toMatchObject({ status: "delivered" });
  });

  it("sends no hs_context without an IP, and a 404 (unknown form) is final", async () => {
    reply = () => new Response("Not Found", { status: 404 });
    const { d } = await run(v1, null);
    expect(new URLSearchParams(await bodyOf(requests[0]!)).has("hs_context")).toBe(false);
    expect(d).toMatchObject({ status: "failed", last_error: "HTTP 404: Not Found" });
  });
});

describe("integrator configuration", () => {
  // A preset POSTs, so a saved one names an adaptor instead of listing rows inline.
  const adaptor = { fields: [], adaptorId: 1 };
  const paths = (config: unknown) => {
    const r = httpIntegrationConfig.safeParse(config);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("fills the preset's defaults and keeps what may still be chosen", () => {
    expect(httpIntegrationConfig.parse({ ...v3, ...adaptor })).toMatchObject({ method: "POST", postDataType: "JSON", responseType: "JSON", portalId: PORTAL, url: "" });
    expect(httpIntegrationConfig.parse({ ...v1, ...adaptor })).toMatchObject({ method: "POST", postDataType: "RAW", responseType: "TEXT" });
    expect(httpIntegrationConfig.parse({ ...v1, ...adaptor, responseType: "JSON", successString: "ok" })).toMatchObject({ responseType: "JSON", successString: "ok" });
    expect(httpIntegrationConfig.parse({ name: "x", url: "https://crm.example.test/", adaptorId: 1 })).toMatchObject({
      integrator: "none", method: "POST", postDataType: "RAW", responseType: "JSON",
    });
    // What was parsed parses again (the stored config is re-read before each delivery).
    const once = httpIntegrationConfig.parse({ ...v3, ...adaptor });
    expect(httpIntegrationConfig.parse(once)).toEqual(once);
  });

  it("refuses what the preset fixes, missing ids, ids without a preset, and Blue Ink Digital", () => {
    expect(paths({ ...v3, ...adaptor, url: "https://example.test/", postDataType: "RAW", method: "GET" })).toEqual([
      "url: HubSpot v3 builds the URL from portalId and formGuid; leave url empty.",
      "method: HubSpot v3 sends POST; leave method out or set it to POST.",
      "postDataType: HubSpot v3 sends JSON; leave postDataType out or set it to JSON.",
    ]);
    expect(paths({ name: "x", integrator: "hubspot_v1", ...adaptor })).toEqual(["portalId: Required with HubSpot v1.", "formGuid: Required with HubSpot v1."]);
    expect(paths({ ...v1, ...adaptor, portalId: "12ab", formGuid: "not-a-guid" })).toEqual([
      "portalId: A HubSpot portal (account) id: digits.",
      "formGuid: A HubSpot form GUID (8-4-4-4-12 hexadecimal digits).",
    ]);
    expect(paths({ name: "x", url: "https://crm.example.test/", portalId: PORTAL, ...adaptor })).toEqual(["portalId: Only with a HubSpot integrator."]);
    expect(paths({ name: "x", integrator: "blue_ink_digital", url: "https://crm.example.test/" })[0]).toMatch(/^integrator: .*Blue Ink Digital/);
    expect(paths({ name: "x", integrator: "none", ...adaptor })).toEqual(["url: Must be an absolute http(s) URL."]);
  });

  it("requires an adaptor, since every preset POSTs", () => {
    expect(paths(v3)).toEqual(["adaptorId: Required with POST: put these rows in an adaptor (/api/v4/adaptors) and give its id; inline fields are for GET only."]);
    expect(paths({ ...v1, fields: [] })).toEqual(["adaptorId: Required with POST: the id of the adaptor (/api/v4/adaptors) that says what the vendor receives."]);
  });

  it("is checked when a job is saved through v4, and the test action calls the preset's URL", async () => {
    const admin = await loginAs(DEMO.admin);
    const save = (config: unknown) =>
      call("/api/v4/campaign-processr-jobs", json({ campaign: "/api/v4/campaigns/602", type: "http_integration", label: "HubSpot", config }, "POST", bearer(admin)));
    const created = await call("/api/v4/adaptors", json({ name: "HubSpot fields", fields }, "POST", bearer(admin)));
    const saved = { ...v3, fields: [], adaptorId: ((await created.json()) as { id: number }).id };
    const bad = await save({ ...saved, url: "https://example.test/" });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { violations: { propertyPath: string }[] }).violations.map((v) => v.propertyPath)).toEqual(["config.url"]);
    const ok = await save(saved);
    expect(ok.status).toBe(201);
    const jobId = ((await ok.json()) as { id: number }).id;
    const lead = await insertLead(602, 12, 36, { emailAddress: "test@example.org" });
    reply = () => Response.json({ inlineMessage: "Thanks" });
    const res = await call(`/api/v4/campaign-processr-jobs/${jobId}/test`, json({ lead: lead.id }, "POST", bearer(admin)));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "delivered", statusCode: 200 });
    expect(requests.map((r) => r.url)).toEqual([`https://api.hsforms.com/submissions/v3/integration/submit/${PORTAL}/${FORM}`]);
  });
});
