import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { httpIntegrationConfig } from "../../src/integrations/http-integration";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { delivery, insertJob, insertLead, recordingEnv, stubVendor } from "./helpers";

// Adaptors: a named field mapping (/api/v4/adaptors) that HTTP integrations share by id.
const vendor = stubVendor(() => Response.json({ lead_id: "L-1" }));
const bodyOf = async (req: Request) => [...new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()))];
type Violations = { "@type": string; "hydra:description": string; violations: { propertyPath: string; message: string }[] };
const jobCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM campaign_processr_jobs").first<{ n: number }>())!.n;

const mapping = [
  { field: "firstName", mappedTo: "first_name" },
  { field: "emailAddress", mappedTo: "email", defaultValue: "none" },
];

async function admin() {
  const token = await loginAs(DEMO.admin);
  const h = bearer(token);
  return {
    createAdaptor: (body: unknown) => call("/api/v4/adaptors", json(body, "POST", h)),
    saveJob: (label: string, config: Record<string, unknown>) =>
      call("/api/v4/campaign-processr-jobs", json({ campaign: "/api/v4/campaigns/602", type: "http_integration", label, config }, "POST", h)),
    h,
  };
}

const job = (name: string, adaptorId: number) => ({ name, url: `https://crm.example.test/${name}`, method: "POST", postDataType: "RAW", adaptorId });

async function deliver(jobId: number, values: Record<string, string>) {
  const lead = await insertLead(602, 12, 36, values);
  const { env: e } = recordingEnv();
  await handleIntegrateMessage(e, { type: "integrate", leadId: lead.id, jobId });
  return (await delivery(lead.id, jobId))!;
}

describe("adaptors", () => {
  it("one adaptor serves two integrations, and editing it changes what both send", async () => {
    const a = await admin();
    const created = await a.createAdaptor({ name: "CRM mapping", fields: mapping });
    expect(created.status).toBe(201);
    const adaptor = (await created.json()) as { id: number; name: string; fields: unknown[] };
    expect(adaptor).toMatchObject({ name: "CRM mapping", fields: [{ field: "firstName", mappedTo: "first_name", defaultValue: "" }, mapping[1]] });

    const ids: number[] = [];
    for (const name of ["one", "two"]) {
      const res = await a.saveJob(`Uses adaptor ${name}`, job(name, adaptor.id));
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: number }).id);
    }
    for (const id of ids) expect(await deliver(id, { firstName: "Ada", surname: "Lovelace" })).toMatchObject({ status: "delivered" });
    expect(vendor.requests.map((r) => new URL(r.url).pathname)).toEqual(["/one", "/two"]);
    for (const req of vendor.requests) expect(await bodyOf(req)).toEqual([["first_name", "Ada"], ["email", "none"]]);

    const put = await call(`/api/v4/adaptors/${adaptor.id}`, json({ fields: [{ field: "surname", mappedTo: "last_name" }] }, "PUT", a.h));
    expect(put.status).toBe(200);
    vendor.requests.length = 0;
    for (const id of ids) expect(await deliver(id, { firstName: "Ada", surname: "Lovelace" })).toMatchObject({ status: "delivered" });
    for (const req of vendor.requests) expect(await bodyOf(req)).toEqual([["last_name", "Lovelace"]]);
    expect(vendor.requests).toHaveLength(2);

    const list = await call("/api/v4/adaptors", { headers: a.h });
    expect(list.status).toBe(200);
    expect(JSON.stringify(await list.json())).toContain("last_name");
  });

  it("refuses an unknown adaptor id, both adaptorId and inline fields, and an invalid mapping (422, nothing saved)", async () => {
    const a = await admin();
    const before = await env.DB.prepare("SELECT count(*) AS n FROM campaign_processr_jobs").first<{ n: number }>();
    const unknown = await a.saveJob("Ghost", job("ghost", 999_999));
    expect(unknown.status).toBe(422);
    const body = (await unknown.json()) as Violations;
    expect(body.violations).toEqual([expect.objectContaining({ propertyPath: "config.adaptorId", message: expect.stringContaining("999999") })]);
    const both = await a.saveJob("Both", { ...job("both", 1), fields: mapping });
    expect(both.status).toBe(422);
    expect(((await both.json()) as Violations).violations.map((v) => v.propertyPath)).toEqual(["config.adaptorId"]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM campaign_processr_jobs").first<{ n: number }>()).toEqual(before);

    const noName = await a.createAdaptor({ name: " ", fields: mapping });
    expect(noName.status).toBe(422);
    expect(((await noName.json()) as Violations).violations.map((v) => v.propertyPath)).toEqual(["name"]);
    const badRow = await a.createAdaptor({ name: "Bad", fields: [{ mappedTo: "x" }] });
    expect(badRow.status).toBe(422);
    expect(((await badRow.json()) as Violations).violations.map((v) => v.propertyPath)).toEqual(["fields.0.field"]);
  });

  it("refuses to delete an adaptor in use (409 naming the job), deletes it once unused", async () => {
    const a = await admin();
    const { id } = (await (await a.createAdaptor({ name: "Shared", fields: mapping })).json()) as { id: number };
    const saved = await a.saveJob("Vendor with shared mapping", job("in-use", id));
    const jobId = ((await saved.json()) as { id: number }).id;
    const refused = await call(`/api/v4/adaptors/${id}`, { method: "DELETE", headers: a.h });
    expect(refused.status).toBe(409);
    const text = JSON.stringify(await refused.json());
    expect(text).toContain("Vendor with shared mapping");
    expect(text).toContain(`/api/v4/campaign-processr-jobs/${jobId}`);
    expect((await call(`/api/v4/adaptors/${id}`, { headers: a.h })).status).toBe(200);

    const other = (await (await a.createAdaptor({ name: "Other", fields: mapping })).json()) as { id: number };
    const moved = await call(`/api/v4/campaign-processr-jobs/${jobId}`, json({ config: job("in-use", other.id) }, "PUT", a.h));
    expect(moved.status).toBe(200);
    expect((await call(`/api/v4/adaptors/${id}`, { method: "DELETE", headers: a.h })).status).toBe(204);
    expect((await call(`/api/v4/adaptors/${id}`, { headers: a.h })).status).toBe(404);
  });

  it("is required for POST: without one the job is refused (422 on config.adaptorId) and nothing is saved; GET needs none", async () => {
    const a = await admin();
    const before = await jobCount();
    const { adaptorId: _, ...posted } = job("no-adaptor", 1);
    const missing = await a.saveJob("No adaptor", posted);
    expect(missing.status).toBe(422);
    const body = (await missing.json()) as Violations;
    expect(body["@type"]).toBe("ConstraintViolationList");
    expect(body.violations).toEqual([
      { propertyPath: "config.adaptorId", message: "Required with POST: the id of the adaptor (/api/v4/adaptors) that says what the vendor receives." },
    ]);
    expect(body["hydra:description"]).toBe(`config.adaptorId: ${body.violations[0]!.message}`);
    // The method defaults to POST; inline rows do not replace the adaptor.
    const inline = await a.saveJob("Inline rows", { name: "inline", url: "https://crm.example.test/inline", fields: mapping });
    expect(((await inline.json()) as Violations).violations).toEqual([
      { propertyPath: "config.adaptorId", message: "Required with POST: put these rows in an adaptor (/api/v4/adaptors) and give its id; inline fields are for GET only." },
    ]);
    expect(await jobCount()).toBe(before);

    // Taking the adaptor away from a saved POST job is refused too, and the job keeps it.
    const { id: adaptorId } = (await (await a.createAdaptor({ name: "Kept", fields: mapping })).json()) as { id: number };
    const saved = (await (await a.saveJob("Keeps its adaptor", job("kept", adaptorId))).json()) as { id: number };
    const put = await call(`/api/v4/campaign-processr-jobs/${saved.id}`, json({ config: posted }, "PUT", a.h));
    expect(put.status).toBe(422);
    expect(((await put.json()) as Violations).violations.map((v) => v.propertyPath)).toEqual(["config.adaptorId"]);
    const stored = await env.DB.prepare("SELECT config FROM campaign_processr_jobs WHERE id = ?").bind(saved.id).first<{ config: string }>();
    expect(JSON.parse(stored!.config)).toMatchObject({ adaptorId });

    // GET (enrichment) may list its query parameters inline, or none.
    const get = { name: "lookup", url: "https://crm.example.test/lookup", method: "GET" };
    expect((await a.saveJob("Lookup with rows", { ...get, fields: mapping })).status).toBe(201);
    expect((await a.saveJob("Lookup", get)).status).toBe(201);
  });

  it("sends every captured value under its own name when it says sendAllValues; it maps rows or sends all, never both nor nothing", async () => {
    const a = await admin();
    const created = await a.createAdaptor({ name: "Everything", sendAllValues: true });
    expect(created.status).toBe(201);
    const all = (await created.json()) as { id: number };
    expect(all).toMatchObject({ name: "Everything", sendAllValues: true, fields: [] });
    const saved = (await (await a.saveJob("Sends everything", job("all", all.id))).json()) as { id: number };
    expect(await deliver(saved.id, { firstName: "Ada", surname: "Lovelace", emailAddress: "ada@example.org" })).toMatchObject({ status: "delivered" });
    expect(await bodyOf(vendor.requests[0]!)).toEqual([["firstName", "Ada"], ["surname", "Lovelace"], ["emailAddress", "ada@example.org"]]);

    const adaptorCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM adaptors").first<{ n: number }>())!.n;
    const before = await adaptorCount();
    const refusals: [unknown, string][] = [
      [{ name: "Both", sendAllValues: true, fields: mapping }, "An adaptor that sends every captured value has no rows; remove them or set sendAllValues to false."],
      [{ name: "Nothing" }, "Map at least one field (a row with mappedTo), or set sendAllValues to send every captured value."],
      [{ name: "Only blank rows", fields: [{ field: "firstName", mappedTo: " " }] }, "Map at least one field (a row with mappedTo), or set sendAllValues to send every captured value."],
    ];
    for (const [body, message] of refusals) {
      const res = await a.createAdaptor(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(((await res.json()) as Violations).violations).toEqual([{ propertyPath: "fields", message }]);
    }
    expect(await adaptorCount()).toBe(before);

    // An update is checked as the adaptor will be: the rows it keeps count.
    const { id } = (await (await a.createAdaptor({ name: "Rows", fields: mapping })).json()) as { id: number };
    const put = (body: unknown) => call(`/api/v4/adaptors/${id}`, json(body, "PUT", a.h));
    expect((await put({ sendAllValues: true })).status).toBe(422);
    expect(await (await call(`/api/v4/adaptors/${id}`, { headers: a.h })).json()).toMatchObject({ sendAllValues: false, fields: [{ field: "firstName" }, { field: "emailAddress" }] });
    expect((await put({ sendAllValues: true, fields: [] })).status).toBe(200);
    expect((await put({ fields: mapping })).status).toBe(422);
  });

  it("is given by the migration to every POST integration saved without one, which then sends what it sent before", async () => {
    const legacy = { url: "https://crm.example.test/legacy", responseKey: "lead_id" };
    const jobs = {
      everything: await insertJob(602, "http_integration", { ...legacy, name: "everything" }, "Legacy: every value"),
      rows: await insertJob(602, "http_integration", { ...legacy, name: "rows", method: "POST", fields: [{ field: " firstName ", mappedTo: "first_name" }, { label: "Mail", field: "emailAddress", mappedTo: "email, mail", defaultValue: "none" }] }, "Legacy: rows"),
      hubspot: await insertJob(602, "http_integration", { name: "hub", integrator: "hubspot_v3", portalId: "6012345", formGuid: "78c2891f-ebdd-44c0-bd94-15c012bbbfbf", fields: [] }, "Legacy: HubSpot"),
      lookup: await insertJob(602, "http_integration", { ...legacy, name: "lookup", method: "GET", fields: [{ field: "firstName", mappedTo: "q" }] }, "Legacy: lookup"),
      connect: await insertJob(602, "convertr_connect", { mapping: { firstName: "firstName" } }, "Legacy: Connect"),
    };
    const configOf = async (id: number) =>
      JSON.parse((await env.DB.prepare("SELECT config FROM campaign_processr_jobs WHERE id = ?").bind(id).first<{ config: string }>())!.config) as Record<string, unknown>;
    const untouched = { lookup: await configOf(jobs.lookup), connect: await configOf(jobs.connect) };
    const adaptorsBefore = (await env.DB.prepare("SELECT count(*) AS n FROM adaptors").first<{ n: number }>())!.n;

    // The migration's data statements (the first one adds the column, which this database has).
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("adaptor_required_for_post"))!;
    for (const q of migration.queries.filter((q) => !q.includes("`send_all_values` integer"))) await env.DB.prepare(q).run();

    const adaptorOf = async (jobId: number) => {
      const config = await configOf(jobId);
      expect(config).not.toHaveProperty("fields");
      expect(httpIntegrationConfig.safeParse(config).success).toBe(true);
      return env.DB.prepare("SELECT name, fields, send_all_values FROM adaptors WHERE id = ?").bind(config.adaptorId).first<{ name: string; fields: string; send_all_values: number }>();
    };
    expect(await adaptorOf(jobs.everything)).toEqual({ name: `Integration "Legacy: every value" (job ${jobs.everything})`, fields: "[]", send_all_values: 1 });
    const rows = (await adaptorOf(jobs.rows))!;
    expect([JSON.parse(rows.fields), rows.send_all_values]).toEqual([
      [{ field: "firstName", mappedTo: "first_name", defaultValue: "" }, { label: "Mail", field: "emailAddress", mappedTo: "email, mail", defaultValue: "none" }],
      0,
    ]);
    expect(await adaptorOf(jobs.hubspot)).toMatchObject({ fields: "[]", send_all_values: 1 });
    expect(await configOf(jobs.lookup)).toEqual(untouched.lookup);
    expect(await configOf(jobs.connect)).toEqual(untouched.connect);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM adaptors").first<{ n: number }>())!.n).toBe(adaptorsBefore + 3);

    const values = { firstName: "Grace", surname: "Hopper" };
    expect(await deliver(jobs.everything, values)).toMatchObject({ status: "delivered" });
    expect(await deliver(jobs.rows, values)).toMatchObject({ status: "delivered" });
    expect(await Promise.all(vendor.requests.map(bodyOf))).toEqual([
      [["firstName", "Grace"], ["surname", "Hopper"]],
      [["first_name", "Grace"], ["email", "none"], ["mail", "none"]],
    ]);
  });

  it("is for admins only: a publisher user gets 403, no token 401", async () => {
    const pub = bearer(await loginAs(DEMO.northwind));
    expect((await call("/api/v4/adaptors", { headers: pub })).status).toBe(403);
    expect((await call("/api/v4/adaptors", json({ name: "x", fields: mapping }, "POST", pub))).status).toBe(403);
    expect((await call("/api/v4/adaptors")).status).toBe(401);
    expect((await call("/api/v4/adaptors", json({ name: "x", fields: mapping }))).status).toBe(401);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM adaptors WHERE name = 'x'").first<{ n: number }>()).toEqual({ n: 0 });
  });
});
