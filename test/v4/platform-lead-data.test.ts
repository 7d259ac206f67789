import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { formBody, leadsPath, SIMPLE } from "../publisher/support";
import { type Doc, get, send, tokens } from "./fixtures";

// Platform lead data (emailDomain, createdDate, country, ip, userAgent) on every v4 Lead, and the
// core fields a form did not capture as "" (Convertr's Lead example), through the publisher API.

let t: Awaited<ReturnType<typeof tokens>>;
let publisher: Record<string, string>;
/** A form of campaign 601 that captures "country" and requires nothing. */
let countryForm: number;
beforeAll(async () => {
  t = await tokens();
  publisher = bearer(await loginAs(DEMO.northwind));
  const form = await send("/api/v4/forms", "POST", { campaign: "/api/v4/campaigns/601", name: "With country" }, t.admin);
  expect(form.status).toBe(201);
  countryForm = form.body.id;
  for (const [i, name] of ["firstName", "lastName", "email", "country"].entries()) {
    const f = await send("/api/v4/form-fields", "POST", { form: form.body["@id"], name, position: i, ...(name === "email" ? { type: "email" } : {}) }, t.admin);
    expect(f.status).toBe(201);
  }
});

/** Posts SIMPLE (or `fields`) to the publisher API on form `formId` of campaign 601, with Cloudflare's cf. */
async function capture(init: { cf?: Record<string, unknown>; headers?: Record<string, string>; formId?: number; fields?: Record<string, string> }) {
  const res = await call(leadsPath(12, init.formId ?? 35, 601), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...publisher, ...init.headers },
    body: formBody(init.fields ?? SIMPLE),
    cf: init.cf,
  } as RequestInit);
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

const names = (lead: Doc) => lead.leadData.map((d: Doc) => d.name);
const value = (lead: Doc, name: string) => lead.leadData.find((d: Doc) => d.name === name)?.value;

describe("platform lead data on GET /api/v4/leads/{id}", () => {
  it("shows emailDomain, createdDate, country (from Cloudflare), ip and userAgent first, with no @id, and core fields not captured as \"\"", async () => {
    const id = await capture({ cf: { country: "GB" }, headers: { "CF-Connecting-IP": "203.0.113.7", "User-Agent": "agent/2.0" } });
    const { status, body: lead } = await get(`/api/v4/leads/${id}`, t.admin);
    expect(status).toBe(200);
    const day = lead.createdTs.slice(0, 10);
    expect(lead.leadData.slice(0, 5)).toEqual([
      { "@type": "LeadData", name: "emailDomain", value: "@convertr.io" },
      { "@type": "LeadData", name: "createdDate", value: day },
      { "@type": "LeadData", name: "country", value: "United Kingdom" },
      { "@type": "LeadData", name: "ip", value: "203.0.113.7" },
      { "@type": "LeadData", name: "userAgent", value: "agent/2.0" },
    ]);
    expect(names(lead).slice(5)).toEqual(["firstName", "lastName", "email", "leadHash"]);
    expect(lead.leadData[5]["@id"]).toMatch(/^\/api\/v4\/lead-datas\/\d+$/);
    // Not captured on form 35: "" as in Convertr's example, while publisherSubId stays null there too.
    for (const core of ["postcode", "addressLine1", "addressLine2", "addressLine3", "addressLine4", "telephone"]) {
      expect(lead[core]).toBe("");
    }
    expect(lead.publisherSubId).toBeNull();
    // Computed on read: capture wrote no extra lead_datas rows, and the list of stored values does not show them.
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM lead_datas WHERE lead_id = ?").bind(id).first<{ n: number }>();
    expect(rows!.n).toBe(4);
    const stored = await get(`/api/v4/lead-datas?lead.id=${id}`, t.admin);
    expect(stored.body["hydra:member"].map((d: Doc) => d.name)).toEqual(["firstName", "lastName", "email", "leadHash"]);
  });

  it("shows the platform values as \"\" when the request had no country, IP or user agent, and a lead without an email has an empty emailDomain", async () => {
    const id = await capture({ cf: { country: "XX" }, formId: countryForm, fields: { firstName: "No", lastName: "Mail" } });
    const { body: lead } = await get(`/api/v4/leads/${id}`, t.admin);
    expect(value(lead, "country")).toBe("");
    expect(value(lead, "ip")).toBe("");
    expect(value(lead, "emailDomain")).toBe("");
    expect(lead.email).toBe("");
    const stored = await env.DB.prepare("SELECT country FROM leads WHERE id = ?").bind(id).first<{ country: string | null }>();
    expect(stored!.country).toBeNull();
  });

  it("keeps a country the form captured instead of Cloudflare's, listed once", async () => {
    const id = await capture({ cf: { country: "FR" }, formId: countryForm, fields: { ...SIMPLE, country: "Ireland" } });
    const { body: lead } = await get(`/api/v4/leads/${id}`, t.admin);
    expect(names(lead).filter((n: string) => n === "country")).toEqual(["country"]);
    expect(value(lead, "country")).toBe("Ireland");
    expect(lead.leadData.find((d: Doc) => d.name === "country")["@id"]).toMatch(/^\/api\/v4\/lead-datas\/\d+$/);
  });

  it("shows a publisher its own lead's platform values too", async () => {
    const id = await capture({ cf: { country: "DE" } });
    const { status, body: lead } = await get(`/api/v4/leads/${id}`, t.north);
    expect(status).toBe(200);
    expect(value(lead, "country")).toBe("Germany");
  });

  it("names each lead's own country on a page of leads from several countries, asked twice", async () => {
    const codes = ["GB", "FR", "GB", "JP", "FR"];
    const ids: number[] = [];
    for (const country of codes) ids.push(await capture({ cf: { country } }));
    const expected = new Map(codes.map((code, i) => [ids[i]!, new Intl.DisplayNames(["en"], { type: "region" }).of(code)]));
    expect([...new Set(expected.values())]).toEqual(["United Kingdom", "France", "Japan"]);
    for (let round = 0; round < 2; round++) {
      const { status, body } = await get(`/api/v4/leads?id[]=${ids.join("&id[]=")}&itemsPerPage=10`, t.admin);
      expect(status).toBe(200);
      const shown = new Map(body["hydra:member"].map((lead: Doc) => [lead.id, value(lead, "country")]));
      expect(shown).toEqual(expected);
    }
  });
});
