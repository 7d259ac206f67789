import { afterAll, describe, expect, it, vi } from "vitest";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { stubFetch } from "./helpers";

// An HTTP integration that sends "every captured value" (a GET without a mapping, or an adaptor
// with sendAllValues) sends what the publisher captured, and nothing the platform keeps for itself:
// the lead's hash is how the lead is invalidated or validated through the webhooks, not the
// client's data. Black-box: the lead is posted through the publisher API and processed, and a
// stand-in vendor receives the integration's call.
// Each call as it arrived (the body read then: it belongs to the lead object's context).
const calls: { method: string; url: URL; body: string }[] = [];
const spy = stubFetch({
  current: async (req) => (calls.push({ method: req.method, url: new URL(req.url), body: await req.text() }), Response.json({ data: { carrier: "Vodafone" } })),
});
afterAll(() => spy.mockRestore());
const VENDOR_HOST = "values.example.test";

async function jobFor(config: Record<string, unknown>, label: string) {
  const admin = bearer(await loginAs(DEMO.admin));
  const res = await call("/api/v4/campaign-processr-jobs", json({ campaign: "/api/v4/campaigns/601", type: "http_integration", label, config }, "POST", admin));
  expect(res.status).toBe(201);
  return { admin, id: ((await res.json()) as { id: number }).id };
}

/** Posts a clean lead to campaign 601 as Northwind Media and waits until the vendor has been called at `path`. */
async function captureAndAwait(path: string, email: string) {
  const north = bearer(await loginAs(DEMO.northwind));
  const res = await call(
    "/api/v2.4/publisher/12/forms/35/campaign/601/leads?linkId=25",
    form({ "form[firstName]": "Ada", "form[lastName]": "Lovelace", "form[email]": email }, north),
  );
  expect(res.status).toBe(201);
  const leadId = ((await res.json()) as { data: number }).data;
  const req = await vi.waitFor(
    () => {
      const found = calls.find((r) => r.url.host === VENDOR_HOST && r.url.pathname === path);
      if (!found) throw new Error(`no call to ${path} yet`);
      return found;
    },
    { timeout: 20_000, interval: 100 },
  );
  return { req, leadId };
}

describe("HTTP integration sending every captured value", () => {
  it("a GET without a mapping puts the captured values in the URL, not the lead's hash", async () => {
    await jobFor({ name: "Lookup", url: `https://${VENDOR_HOST}/lookup`, method: "GET", responseKey: "data.carrier" }, "Lookup by GET");
    const { req } = await captureAndAwait("/lookup", "ada.get@example.org");
    expect(req.method).toBe("GET");
    expect([...req.url.searchParams]).toEqual([
      ["firstName", "Ada"],
      ["lastName", "Lovelace"],
      ["email", "ada.get@example.org"],
    ]);
  });

  it("a POST with a sendAllValues adaptor sends the captured values in the body, not the lead's hash", async () => {
    const admin = bearer(await loginAs(DEMO.admin));
    const adaptor = await call("/api/v4/adaptors", json({ name: "Pass-through", sendAllValues: true }, "POST", admin));
    expect(adaptor.status).toBe(201);
    const adaptorId = ((await adaptor.json()) as { id: number }).id;
    await jobFor({ name: "CRM", url: `https://${VENDOR_HOST}/crm`, method: "POST", postDataType: "RAW", adaptorId }, "CRM by POST");
    const { req } = await captureAndAwait("/crm", "ada.post@example.org");
    expect([...new URLSearchParams(req.body)]).toEqual([
      ["firstName", "Ada"],
      ["lastName", "Lovelace"],
      ["email", "ada.post@example.org"],
    ]);
  });

  it("a mapping row that names leadHash still sends it", async () => {
    const { admin } = await jobFor(
      { name: "Ref", url: `https://${VENDOR_HOST}/ref`, method: "GET", fields: [{ field: "leadHash", mappedTo: "ref" }, { field: "email", mappedTo: "email" }] },
      "Ref by GET",
    );
    const { req, leadId } = await captureAndAwait("/ref", "ada.ref@example.org");
    const lead = (await (await call(`/api/v4/leads/${leadId}`, { headers: admin })).json()) as { leadHash: string };
    expect(lead.leadHash).toMatch(/^[0-9a-f]{32}$/);
    expect([...req.url.searchParams]).toEqual([
      ["ref", lead.leadHash],
      ["email", "ada.ref@example.org"],
    ]);
  });
});
