import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { delivery, insertLead, recordingEnv, stubVendor } from "./helpers";

// Adaptors: a named field mapping (/api/v4/adaptors) that HTTP integrations share by id.
const vendor = stubVendor(() => Response.json({ lead_id: "L-1" }));
const bodyOf = async (req: Request) => [...new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()))];
type Violations = { violations: { propertyPath: string; message: string }[] };

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

    const moved = await call(`/api/v4/campaign-processr-jobs/${jobId}`, json({ config: { ...job("in-use", id), adaptorId: undefined, fields: mapping } }, "PUT", a.h));
    expect(moved.status).toBe(200);
    expect((await call(`/api/v4/adaptors/${id}`, { method: "DELETE", headers: a.h })).status).toBe(204);
    expect((await call(`/api/v4/adaptors/${id}`, { headers: a.h })).status).toBe(404);
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
