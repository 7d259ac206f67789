import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { httpIntegrationConfig } from "../../src/integrations/http-integration";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { delivery, insertJob, insertLead, providerLogs, recordingEnv, stubVendor } from "./helpers";

// Convoso Connect's GET: leadflare pulls from the vendor with the lead's values as query
// parameters, and the vendor's value is added to the lead as new lead data (with a note and a
// provider log); nothing captured is ever overwritten.
const VENDOR = "https://enrich.example.test/lookup";
const base = {
  name: "Phone lookup",
  url: VENDOR,
  authQuery: "token=SECRET9",
  method: "GET",
  responseType: "JSON",
  responseKey: "data.carrier",
  fields: [
    { field: "phone", mappedTo: "phone_number" },
    { field: "leadId", mappedTo: "ref" },
  ],
};

const vendor = stubVendor(() => Response.json({ data: { carrier: "Vodafone" } }));

async function pull(config: Record<string, unknown>, values: Record<string, string> = { firstName: "Ada", phone: "07700900123" }) {
  const jobId = await insertJob(602, "http_integration", config, "Phone lookup");
  const lead = await insertLead(602, 12, 36, values);
  await handleIntegrateMessage(recordingEnv().env, { type: "integrate", leadId: lead.id, jobId });
  return { jobId, leadId: lead.id, d: (await delivery(lead.id, jobId))! };
}

async function leadData(leadId: number) {
  const admin = await loginAs(DEMO.admin);
  const res = await call(`/api/v4/lead-datas?lead.id=${leadId}&itemsPerPage=100`, { headers: bearer(admin) });
  expect(res.status).toBe(200);
  const members = ((await res.json()) as { "hydra:member": { name: string; value: string }[] })["hydra:member"];
  return new Map(members.map((m) => [m.name, m.value]));
}

async function notes(leadId: number) {
  const { results } = await env.DB.prepare("SELECT author, note, reason FROM lead_notes WHERE lead_id = ? ORDER BY id")
    .bind(leadId)
    .all<{ author: string; note: string; reason: string | null }>();
  return results;
}

describe("HTTP integration with GET: enrichment", () => {
  it("calls the vendor with the mapped values and adds the response key's value to the lead, with a note and a provider log", async () => {
    const { leadId, jobId, d } = await pull(base);
    const url = new URL(vendor.requests[0]!.url);
    expect(vendor.requests[0]!.method).toBe("GET");
    expect(url.origin + url.pathname).toBe(VENDOR);
    expect(url.searchParams.get("phone_number")).toBe("07700900123");
    expect(url.searchParams.get("ref")).toBe(String(leadId));
    expect(url.searchParams.get("token")).toBe("SECRET9");
    expect(d).toMatchObject({ status: "delivered", response_value: "Vodafone" });
    const data = await leadData(leadId);
    expect(data.get("enrichment.data.carrier")).toBe("Vodafone");
    expect(data.get("phone")).toBe("07700900123");
    expect(await notes(leadId)).toEqual([
      { author: "integration:http_integration", note: 'Lead data "enrichment.data.carrier" added by an integration.', reason: "Phone lookup: HTTP 200, enrichment.data.carrier = Vodafone" },
    ]);
    const logs = await providerLogs(leadId);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.message).not.toContain("SECRET9");
    expect(logs[0]!.context.response.body).toContain("Vodafone");
    // An enrichment is not a delivery of the lead.
    const lead = await env.DB.prepare("SELECT first_delivered_ts FROM leads WHERE id = ?").bind(leadId).first<{ first_delivered_ts: number | null }>();
    expect(lead!.first_delivered_ts).toBeNull();
    // The same message again (a redelivered queue message) calls and writes nothing more.
    await handleIntegrateMessage(recordingEnv().env, { type: "integrate", leadId, jobId });
    expect(vendor.requests).toHaveLength(1);
    expect(await notes(leadId)).toHaveLength(1);
  });

  it("writes under the configured name, reads XML and TEXT, and takes the whole response without a key", async () => {
    vendor.reply = () => new Response("<r><score>0</score></r>", { headers: { "Content-Type": "application/xml" } });
    const xml = await pull({ ...base, responseType: "XML", responseKey: "score", enrichmentName: "creditScore" });
    // "0" is data here, not a failure.
    expect((await leadData(xml.leadId)).get("creditScore")).toBe("0");
    vendor.reply = () => new Response("status=ok;segment=B2");
    const text = await pull({ ...base, responseType: "TEXT", delimiter: ";", responseKey: "segment" });
    expect((await leadData(text.leadId)).get("enrichment.segment")).toBe("B2");
    vendor.reply = () => new Response("  plain answer \n");
    const whole = await pull({ ...base, responseType: "TEXT", responseKey: "" });
    expect((await leadData(whole.leadId)).get("enrichment.response")).toBe("plain answer");
  });

  it("never overwrites a value the lead already has", async () => {
    const { leadId, d } = await pull({ ...base, enrichmentName: "firstName" });
    expect(d).toMatchObject({ status: "failed", last_error: 'HTTP 200, but the lead already has "firstName"; it is not overwritten.' });
    expect((await leadData(leadId)).get("firstName")).toBe("Ada");
    expect((await notes(leadId))[0]).toMatchObject({ note: "No lead data added by an integration." });
  });

  it("on a vendor error or an answer without the key: a provider log and a note, nothing written", async () => {
    vendor.reply = () => new Response("unknown number", { status: 404 });
    const notFound = await pull(base);
    expect(notFound.d).toMatchObject({ status: "failed", last_error: "HTTP 404: unknown number" });
    expect([...(await leadData(notFound.leadId)).keys()].sort()).toEqual(["firstName", "phone"]);
    expect(await notes(notFound.leadId)).toEqual([
      { author: "integration:http_integration", note: "No lead data added by an integration.", reason: "Phone lookup: HTTP 404: unknown number" },
    ]);
    expect((await providerLogs(notFound.leadId))[0]).toMatchObject({ level: "error" });
    vendor.reply = () => Response.json({ data: {} });
    const missing = await pull(base);
    expect(missing.d.last_error).toBe('HTTP 200, but the response key "data.carrier" is missing: nothing to add to the lead.');
    expect((await leadData(missing.leadId)).has("enrichment.data.carrier")).toBe(false);
  });

  it("validates the lead data name, and old configurations stay valid", () => {
    const bad = httpIntegrationConfig.safeParse({ ...base, enrichmentName: "no spaces" });
    expect(bad.error!.issues.map((i) => i.path.join("."))).toEqual(["enrichmentName"]);
    const old = httpIntegrationConfig.parse({ name: "Old", url: VENDOR, method: "GET" });
    expect(old.enrichmentName).toBe("");
  });
});
