// The integration windows in a real browser against the demo's two enterprises: the agency sets up
// Convertr Connect into acme from its console (credential check, form dropdown, mapping, Place
// Sync Tags), a lead flows across and acme's verdict comes back; and an HTTP integration to a
// stand-in CRM gets a new adaptor (required for POST), is saved, tested with the lead filled in,
// and its Logs show the call's Result.
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Enterprises, startEnterprises } from "../e2e/harness";
import { apiGet, apiToken, launchBrowser, listenLocal, shot } from "./browser";
import { choose, openProcessr, poll, signInAs } from "./processr-console";

let ent: Enterprises;
let browser: Browser;
let crm: Server;
let agencyToken: string;
let acmeClient: { clientId: string; clientSecret: string };
let crmPort: number;
const AGENCY_ADMIN = ["admin@agency.test", "agency-admin-2026!"] as const;
const AGENCY_KEY = "7e6d5c4b3a29180f7e6d5c4b3a291800"; // agency campaign 701, publisher 5
const ACME_KEY = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // acme campaign 601, publisher 13 (Agency Partners)
const crmCalls: string[] = [];

interface Job {
  id: number;
  type: string;
  label: string;
  position: number;
  config: Record<string, unknown>;
}
interface Adaptor {
  id: number;
  name: string;
  fields: { field: string; mappedTo: string }[];
}
interface Collection<T> {
  "hydra:member": T[];
}

const agencyJobs = async () =>
  (await apiGet<Collection<Job>>(ent.urls.agency, agencyToken, "/api/v4/campaign-processr-jobs?campaign.id=701"))["hydra:member"];

async function captureAtAgency(firstName: string, surname: string, emailAddress: string): Promise<number> {
  const res = await fetch(`${ent.urls.agency}/api/v2.4/publisher/5/forms/71/campaign/701/leads`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": AGENCY_KEY },
    body: new URLSearchParams({ "form[firstName]": firstName, "form[surname]": surname, "form[emailAddress]": emailAddress }).toString(),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

beforeAll(async () => {
  crm = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      crmCalls.push(body);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ success: true, lead_id: `CRM-${crmCalls.length}` }));
    });
  });
  crmPort = await listenLocal(crm);
  ent = await startEnterprises();
  browser = await launchBrowser();
  agencyToken = await apiToken(ent.urls.agency, ...AGENCY_ADMIN);
  // The demo's own Connect job is switched off: the one set up on screen is the one that delivers.
  const off = await fetch(`${ent.urls.agency}/api/v4/campaign-processr-jobs/7102`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${agencyToken}`, "Content-Type": "application/ld+json" },
    body: JSON.stringify({ enabled: false }),
  });
  expect(off.status).toBe(200);
  // What acme's admin gives the agency: acme's OAuth client (the publisher's API key is in the demo data).
  const acmeToken = await apiToken(ent.urls.acme, "admin@acme.test", "acme-admin-2026!");
  [acmeClient] = (await apiGet<Collection<typeof acmeClient>>(ent.urls.acme, acmeToken, "/api/v4/oauth-clients"))["hydra:member"] as [typeof acmeClient];
}, 360_000); // two enterprises start, which on a busy machine takes minutes

afterAll(async () => {
  await browser?.close();
  await ent?.stop();
  await new Promise((resolve) => crm?.close(resolve));
});

const connectDialog = (page: Page) => page.getByRole("dialog", { name: "Convertr Connect" });

describe("Convertr Connect set-up (agency → acme)", () => {
  it("checks the credentials, fills the form dropdown and the mapping from acme, places sync tags; a lead flows across and acme's verdict comes back", async () => {
    const { page, errors } = await signInAs(browser, ent.urls.agency, ...AGENCY_ADMIN);
    await openProcessr(page, 701);
    await page.getByRole("tab", { name: "Integration" }).click();
    await page.getByRole("button", { name: "Add Job" }).click();
    await choose(page, page.getByRole("dialog", { name: "Add Job" }), "Job type", "Convertr Connect");
    const dialog = connectDialog(page);
    await dialog.getByLabel("Base URL (self-hosted)").check();
    await dialog.getByLabel("Base URL", { exact: false }).last().fill(ent.urls.acme);
    await dialog.getByLabel("Client ID").fill(acmeClient.clientId);
    await dialog.getByLabel("Client secret").fill(acmeClient.clientSecret);
    await dialog.getByLabel("Publisher ID").fill("13");
    await dialog.getByLabel("Campaign ID").fill("601");

    // A wrong key: acme refuses it, and the message names the field to fix.
    await dialog.getByLabel("API Key").fill("0000000000000000ffffffffffffffff");
    await dialog.getByRole("button", { name: "Check credentials" }).click();
    await poll(() => dialog.getByRole("alert").textContent()).toMatch(/^apiKey: /);
    await shot(page, "connect-wrong-key");

    await dialog.getByLabel("API Key").fill(ACME_KEY);
    await dialog.getByRole("button", { name: "Check credentials" }).click();
    await poll(() => dialog.getByText(/^Credentials valid/).textContent()).toMatch(/^Credentials valid: 2 forms at /);
    await choose(page, dialog, "Form", /\(35\)$/);
    // Empty choices read as what they mean, not as blank fields.
    expect(await dialog.getByRole("combobox", { name: "Link (optional)" }).textContent()).toBe("None");
    await choose(page, dialog, "Link (optional)", "acme-campaign-email (Email)");
    // The mapping lists acme's form fields; ours are chosen on the right.
    const mapping = dialog.getByRole("table", { name: "Mapping" });
    await poll(async () => (await mapping.locator("tbody tr td:first-child").allTextContents()).sort()).toEqual(["email", "firstName", "lastName"]);
    expect(await mapping.getByRole("combobox").allTextContents()).toEqual(["— not sent —", "— not sent —", "— not sent —"]);
    for (const [theirs, ours] of [["firstName", "firstName"], ["lastName", "surname"], ["email", "emailAddress"]]) {
      await choose(page, mapping.getByRole("row", { name: new RegExp(`^${theirs}`) }), /./, new RegExp(`^${ours}$`));
    }
    await shot(page, "connect-mapping");

    // Place Sync Tags saves the new integration and places its tags; the button shows the placed state.
    await dialog.getByRole("button", { name: "Place Sync Tags" }).click();
    await poll(() => dialog.getByRole("button", { name: "Sync Tags Placed" }).count()).toBe(1);
    await shot(page, "connect-sync-tags-placed");
    await dialog.getByRole("button", { name: "Save", exact: true }).click();
    await poll(() => dialog.count()).toBe(0);

    const job = (await agencyJobs()).find((j) => j.type === "convertr_connect" && j.id !== 7102)!;
    expect(job.config).toMatchObject({
      enterpriseUrl: ent.urls.acme, clientId: acmeClient.clientId, apiKey: ACME_KEY, publisherId: 13, campaignId: 601, formId: 35,
      mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" },
    });
    const tags = await apiGet<{ placed: boolean }>(ent.urls.agency, agencyToken, `/api/v4/campaign-processr-jobs/${job.id}/sync-tags`);
    expect(tags.placed).toBe(true);

    // A lead flows across through the integration just set up, and acme's verdicts come back.
    const email = `grace.console.${Date.now().toString(36)}@example.org`;
    const leadId = await captureAtAgency("Grace", "Hopper", email);
    const delivered = await vi.waitFor(async () => {
      const [d] = await ent.query<{ status: string; remote_lead_hash: string | null; attempts: number; last_error: string | null }>(
        "agency", `SELECT status, remote_lead_hash, attempts, last_error FROM integration_deliveries WHERE lead_id = ${leadId} AND campaign_processr_job_id = ${job.id}`);
      expect(d?.status, JSON.stringify(d)).toBe("delivered");
      return d!;
    }, { timeout: 150_000, interval: 500 });
    const [acmeLead] = await ent.query<{ email: string; publisher_id: number }>("acme", `SELECT email, publisher_id FROM leads WHERE lead_hash = '${delivered.remote_lead_hash}'`);
    expect(acmeLead).toEqual({ email, publisher_id: 13 });
    const acmeToken = await apiToken(ent.urls.acme, "admin@acme.test", "acme-admin-2026!");
    const invalidate = await fetch(`${ent.urls.acme}/api/webhook/invalidate/${delivered.remote_lead_hash}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${acmeToken}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ reason: "Email bounced", user: "qa@acme.test" }).toString(),
    });
    expect(invalidate.status).toBe(201);
    // The verdict reaches agency's D1 (acme's callbacks for the lead, attempts and errors, are the
    // failure message: the retries after a failed attempt are 5 s, then 5 min).
    const callbacks = () =>
      ent.query("acme", `SELECT status, attempts, last_status_code, last_error, next_attempt_ts FROM webhook_deliveries WHERE lead_id IN (SELECT id FROM leads WHERE lead_hash = '${delivered.remote_lead_hash}') ORDER BY event_id`);
    await vi.waitFor(async () => {
      const [lead] = await ent.query<{ flag: string }>("agency", `SELECT flag FROM leads WHERE id = ${leadId}`);
      expect(lead?.flag, `acme's callbacks: ${JSON.stringify(await callbacks())}`).toBe("Invalid");
    }, { timeout: 90_000, interval: 500 });

    // The verdict on the agency's console: its lead is Invalid, and the integration's counts and tags show the delivery.
    await page.goto(`/#/campaigns/701/leads?filter=${encodeURIComponent("{}")}`);
    const leadRow = page.locator("tbody tr", { has: page.locator("td.column-originId", { hasText: new RegExp(`^${leadId}$`) }) });
    await poll(async () => {
      await page.getByRole("button", { name: "Refresh" }).first().click().catch(() => undefined);
      return leadRow.textContent();
    }).toContain("Invalid");
    await shot(page, "connect-verdict-back");
    await openProcessr(page, 701);
    await page.getByRole("tab", { name: "Integration" }).click();
    const row = page.getByRole("row", { name: job.label, exact: true });
    await poll(() => row.locator("[data-stat=passed]").textContent()).toBe("1");
    await row.getByRole("button", { name: "Configure" }).click();
    await poll(() => page.getByTestId("sync-tags-state").textContent()).toMatch(/: 1 delivered lead covered/);
    await shot(page, "connect-configured");
    expect(errors).toEqual([]);
  }, 300_000);

  it("maps a client's field whatever it is called: a field named like an object's own members starts as not sent", async () => {
    const { page, errors } = await signInAs(browser, ent.urls.agency, ...AGENCY_ADMIN);
    // The client's answer is stood in for here: acme's demo forms have no such field names.
    await page.route("**/api/v4/convertr-connect/discover", (route) => route.fulfill({
      contentType: "application/json",
      body: JSON.stringify({
        baseUrl: ent.urls.acme, links: [], syncTags: { available: false, message: "" },
        forms: [{ formId: 35, formName: "Odd names", fields: ["constructor", "toString", "email"].map((name) => ({ key: name, name })) }],
      }),
    }));
    await openProcessr(page, 701);
    await page.getByRole("tab", { name: "Integration" }).click();
    await page.getByRole("button", { name: "Add Job" }).click();
    await choose(page, page.getByRole("dialog", { name: "Add Job" }), "Job type", "Convertr Connect");
    const dialog = connectDialog(page);
    await dialog.getByRole("button", { name: "Check credentials" }).click();
    await choose(page, dialog, "Form", /\(35\)$/);
    const mapping = dialog.getByRole("table", { name: "Mapping" });
    await poll(() => mapping.getByRole("combobox").allTextContents()).toEqual(["— not sent —", "— not sent —", "— not sent —"]);
    await choose(page, mapping.getByRole("row", { name: /^constructor/ }), /./, /^emailAddress$/);
    expect(await mapping.getByRole("combobox").allTextContents()).toEqual(["emailAddress", "— not sent —", "— not sent —"]);
    await dialog.getByRole("button", { name: "Close" }).click();
    expect(errors).toEqual([]);
  }, 120_000);
});

describe("HTTP integration (agency campaign 701)", () => {
  it("requires an adaptor for POST and creates one on the spot, shows the API's errors, tests with the newest lead and lists the call with its Result", async () => {
    const newest = await captureAtAgency("Alan", "Turing", `alan.console.${Date.now().toString(36)}@example.org`);
    const { page, errors } = await signInAs(browser, ent.urls.agency, ...AGENCY_ADMIN);
    await openProcessr(page, 701);
    await page.getByRole("tab", { name: "Integration" }).click();
    await page.getByRole("button", { name: "Add Job" }).click();
    await choose(page, page.getByRole("dialog", { name: "Add Job" }), "Job type", "HTTP Integration");
    const dialog = page.getByRole("dialog", { name: "HTTP Integration" });
    // The choices not made yet say that the API's default applies, rather than showing a blank.
    for (const choice of ["E: Request Method", "F: Response Data Type", "G: API Integrator", "Post data type"]) {
      expect(await dialog.getByRole("combobox", { name: choice }).textContent(), choice).toBe("(default)");
    }
    await dialog.getByLabel("A: Name").fill("Vendor CRM");
    await dialog.getByLabel("B: API URL").fill("crm.example/leads");
    await choose(page, dialog, "E: Request Method", /^POST/);
    await choose(page, dialog, "F: Response Data Type", "JSON");
    await dialog.getByLabel("I: Response Key").fill("lead_id");
    // POST offers no inline rows: the adaptor is required, and the API says so with the URL's error.
    expect(await dialog.getByLabel("Adaptor row 1 field").count()).toBe(0);
    await dialog.getByRole("button", { name: "Save HTTP Integration" }).click();
    const saveError = dialog.getByRole("alert").filter({ hasText: "config.url" });
    await poll(() => saveError.textContent()).toContain("config.url: Must be an absolute http(s) URL.");
    expect(await saveError.textContent()).toContain("config.adaptorId: Required with POST");
    expect((await agencyJobs()).some((j) => j.type === "http_integration")).toBe(false);

    // A new adaptor: refused without a mapped row (the API's message), then created and chosen.
    const adaptorsBefore = (await apiGet<Collection<Adaptor>>(ent.urls.agency, agencyToken, "/api/v4/adaptors"))["hydra:member"].length;
    await dialog.getByRole("button", { name: "New adaptor" }).click();
    const form = dialog.getByRole("group", { name: "New adaptor" });
    await form.getByLabel("Adaptor name").fill("Vendor CRM fields");
    await form.getByRole("button", { name: "Create adaptor" }).click();
    await poll(() => form.getByRole("alert").textContent()).toContain("fields: Map at least one field");
    expect((await apiGet<Collection<Adaptor>>(ent.urls.agency, agencyToken, "/api/v4/adaptors"))["hydra:member"]).toHaveLength(adaptorsBefore);
    await form.getByLabel("Adaptor row 1 field").fill("firstName");
    await form.getByLabel("Adaptor row 1 mappedTo").fill("first_name");
    await form.getByRole("button", { name: "Create adaptor" }).click();
    await poll(() => dialog.getByTestId("adaptor-summary").textContent()).toBe("Sends firstName → first_name.");
    expect(await form.count()).toBe(0);
    const adaptors = (await apiGet<Collection<Adaptor>>(ent.urls.agency, agencyToken, "/api/v4/adaptors"))["hydra:member"];
    const created = adaptors.find((a) => a.name === "Vendor CRM fields")!;
    expect(created.fields).toMatchObject([{ field: "firstName", mappedTo: "first_name" }]);
    expect(await dialog.getByRole("combobox", { name: /^J: Adaptor ID/ }).textContent()).toBe(`${created.id}: Vendor CRM fields`);
    await shot(page, "http-integration-adaptor");

    await dialog.getByLabel("B: API URL").fill(`http://127.0.0.1:${crmPort}/leads`);
    await dialog.getByRole("button", { name: "Save HTTP Integration" }).click();
    await poll(() => dialog.getByRole("heading", { name: "Test HTTP Integration" }).count()).toBe(1);
    await poll(() => dialog.getByLabel("Lead ID").inputValue()).toBe(String(newest));
    expect((await agencyJobs()).find((j) => j.type === "http_integration")!.config).toMatchObject({ method: "POST", adaptorId: created.id });
    expect((await agencyJobs()).find((j) => j.type === "http_integration")!.config).not.toHaveProperty("fields");
    // Added after the campaign's jobs, Convertr Connect included, not at the top.
    const jobs = await agencyJobs();
    expect(jobs.find((j) => j.type === "http_integration")!.position).toBe(Math.max(...jobs.map((j) => j.position)));
    expect(jobs.filter((j) => j.type !== "http_integration").every((j) => j.position < jobs.find((h) => h.type === "http_integration")!.position)).toBe(true);
    await shot(page, "http-integration-general");
    const before = crmCalls.length;
    await dialog.getByRole("button", { name: "Test HTTP Integration" }).click();
    await poll(() => dialog.getByText(/^Check result on the Logs tab/).count()).toBe(1);
    expect(crmCalls.length).toBe(before + 1);
    expect(new URLSearchParams(crmCalls.at(-1)).get("first_name")).toBe("Alan");

    await dialog.getByRole("tab", { name: "Logs" }).click();
    const result = dialog.getByRole("table", { name: "Integration logs" }).locator("td[data-column=result]").first();
    await poll(() => result.textContent()).toBe(`delivered: HTTP 200 {"success":true,"lead_id":"CRM-${before + 1}"}`);
    expect(await dialog.getByText(/^Page 1 of 1 \(/).textContent()).toBe("Page 1 of 1 (1 call)");
    await shot(page, "http-integration-logs");
    expect(errors).toEqual([]);
  }, 180_000);
});
