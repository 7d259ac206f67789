// The console's Leads screen and Lead Data dialog in a real browser against the demo: leads are
// captured through the publisher API and processed by the real Processr (with an HTTP integration
// to a local stand-in CRM, so that provider logs exist); every tab shows the API's rows, edits and
// flag changes made on screen reach the API and appear without a reload, and a publisher user sees
// only its own leads and none of the client's terms.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Enterprises, startEnterprises } from "../e2e/harness";
import { apiGet, apiToken, launchBrowser, listenLocal, newPage, shot } from "./browser";

let ent: Enterprises;
let browser: Browser;
let crm: Server;
let base: string;
let adminToken: string;

let crmPort: number;
const USERS = {
  admin: ["admin@acme.test", "acme-admin-2026!"],
  northwind: ["api@northwind.test", "northwind-2026!"],
  agencyPartners: ["api@agency-partners.test", "agency-partners-2026!"],
} as const;
const KEYS = { northwind: "0c463164f0d4fcb604d8fd9f80737476", agencyPartners: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b" };
const PUBLISHER_IDS = { northwind: 12, agencyPartners: 13 };

interface Collection<T> {
  "hydra:member": T[];
  "hydra:totalItems": number;
}
interface Lead {
  id: number;
  email: string;
  firstName: string;
  processrStatus: number;
  publisher: string;
  leadFlag: { name: string } | null;
}

/** The captured leads, by role in the tests. */
const leads = { ada: 0, alan: 0, joan: 0 };

async function capture(publisher: keyof typeof KEYS, form: Record<string, string>): Promise<number> {
  const res = await fetch(`${base}/api/v2.4/publisher/${PUBLISHER_IDS[publisher]}/forms/35/campaign/601/leads`, {
    method: "POST",
    headers: { "X-Api-Key": KEYS[publisher], "Content-Type": "application/json" },
    body: JSON.stringify({ form: { ...form, submit: true } }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

async function apiPost(path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/ld+json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: number };
}

const lead = (id: number) => apiGet<Lead>(base, adminToken, `/api/v4/leads/${id}`);

beforeAll(async () => {
  // A stand-in CRM for the campaign's HTTP integration: every delivery is a provider log.
  crm = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ success: true, lead_id: "CRM-1" }));
    });
  });
  crmPort = await listenLocal(crm);
  ent = await startEnterprises();
  base = ent.urls.acme;
  browser = await launchBrowser();
  adminToken = await apiToken(base, ...USERS.admin);
  // A POST integration names its adaptor: this one sends every captured value.
  const adaptor = await apiPost("/api/v4/adaptors", { name: "Vendor CRM fields", sendAllValues: true });
  await apiPost("/api/v4/campaign-processr-jobs", {
    campaign: "/api/v4/campaigns/601",
    type: "http_integration",
    label: "Vendor CRM",
    config: { name: "Vendor CRM", url: `http://127.0.0.1:${crmPort}/leads`, responseType: "JSON", responseKey: "lead_id", adaptorId: adaptor.id },
  });
  // Ada's email is also on a lead of campaign 603 (the demo's): her associated campaigns.
  leads.ada = await capture("northwind", { firstName: "Ada", lastName: "Lovelace", email: "ada@example.org" });
  leads.joan = await capture("northwind", { firstName: "Joan", lastName: "Clarke", email: "joan@example.org" });
  leads.alan = await capture("agencyPartners", { firstName: "Alan", lastName: "Turing", email: "alan@example.org" });
  // Processed, delivered to the CRM, and its provider log written.
  await vi.waitFor(async () => {
    const logs = await apiGet<Collection<unknown>>(base, adminToken, `/api/v4/logs?type=provider&lead.id=${leads.ada}`);
    expect(logs["hydra:totalItems"]).toBeGreaterThan(0);
    expect((await lead(leads.ada)).processrStatus).toBe(1000);
    expect((await lead(leads.alan)).processrStatus).toBe(1000);
  }, { timeout: 60_000, interval: 500 });
}, 300_000); // two local enterprises, then the Processr and the CRM delivery, on a shared machine

afterAll(async () => {
  await browser?.close();
  await ent?.stop();
  await new Promise((resolve) => crm?.close(resolve));
});

async function signIn(who: keyof typeof USERS): Promise<{ page: Page; errors: string[] }> {
  const opened = await newPage(browser, base);
  const { page } = opened;
  await page.goto("/");
  await page.getByLabel("Username").fill(USERS[who][0]);
  await page.getByLabel("Password", { exact: true }).fill(USERS[who][1]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible()).toBe(true);
  return opened;
}

/** Polls what the screen shows: writes refetch what they change, which takes a moment on a busy machine. */
const poll = <T>(read: () => T | Promise<T>, timeout = 20_000) => expect.poll(read, { timeout, interval: 200 });

const row = (page: Page, id: number) => page.locator("tbody tr", { has: page.locator("td.column-originId", { hasText: new RegExp(`^${id}$`) }) });
const dialog = (page: Page) => page.getByRole("dialog", { name: /^Lead Data/ });
const panel = (page: Page) => dialog(page).getByRole("tabpanel");

async function openLead(page: Page, id: number) {
  await poll(() => row(page, id).count()).toBe(1);
  await row(page, id).getByRole("button", { name: "View" }).click();
  await poll(() => dialog(page).getByLabel("Lead profile").isVisible()).toBe(true);
}

/** The admin on campaign 601's leads, with that lead's dialog open. */
async function adminOnLead(id: number) {
  const opened = await signIn("admin");
  await opened.page.goto("/#/campaigns/601/leads");
  await openLead(opened.page, id);
  return opened;
}

async function openTab(page: Page, name: string) {
  await dialog(page).getByRole("tab", { name }).click();
  await poll(() => panel(page).getByLabel("Loading").count()).toBe(0);
}

/** Clicks Export CSV and reads the file (no cell of these leads needs quoting). */
async function exportCsv(page: Page): Promise<{ header: string[]; records: string[][] }> {
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const [header, ...records] = readFileSync((await (await download).path())!, "utf8").split("\r\n").filter(Boolean).map((l) => l.split(","));
  return { header: header!, records };
}

/** The rows of the open tab's table, each as its cells' text. */
const tabRows = (page: Page) =>
  panel(page).locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));

describe("Leads (admin)", () => {
  it("lists a campaign's leads at /campaigns/{id}/leads and filters them by flag, publisher and email through the API", async () => {
    const { page, errors } = await signIn("admin");
    await page.goto(`/#/campaigns/${encodeURIComponent("/api/v4/campaigns/601")}/show`);
    await page.getByRole("link", { name: "Leads" }).click();
    await poll(() => page.url()).toMatch(/#\/campaigns\/601\/leads/);
    const all = await apiGet<Collection<Lead>>(base, adminToken, "/api/v4/leads?campaign.id=601&itemsPerPage=100&order[id]=desc");
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents())
      .toEqual(all["hydra:member"].map((l) => String(l.id)));
    await shot(page, "leads-list");

    const byPublisher = page.waitForResponse((r) => decodeURIComponent(r.url()).includes("publisher.id=13"));
    await page.getByLabel("Publisher").click();
    await page.getByRole("option", { name: "Agency Partners Ltd" }).click();
    expect((await byPublisher).status()).toBe(200);
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents()).toEqual([String(leads.alan)]);

    // The list remembers its filters; an empty filter in the address clears them.
    await page.goto(`/#/campaigns/601/leads?filter=${encodeURIComponent("{}")}`);
    await poll(() => page.locator("tbody tr").count()).toBe(all["hydra:member"].length);
    await page.getByRole("button", { name: "Add filter" }).click();
    await page.getByRole("menuitemcheckbox", { name: "Email" }).click();
    await page.getByLabel("Email").fill("joan@example.org");
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents()).toEqual([String(leads.joan)]);

    // The export is the API's CSV of the same filter.
    const { header, records } = await exportCsv(page);
    expect(records).toHaveLength(1);
    expect(records[0]![header.indexOf("id")]).toBe(String(leads.joan));
    expect(records[0]![header.indexOf("email")]).toBe("joan@example.org");
    expect(errors).toEqual([]);
  });

  it("opens a lead and shows every tab with the API's rows", async () => {
    const { page, errors } = await adminOnLead(leads.ada);
    const profile = dialog(page).getByLabel("Lead profile");
    expect(await profile.textContent()).toContain("ada@example.org");
    expect(await profile.textContent()).toContain("Northwind Media");
    await poll(() => profile.textContent()).toContain("Acme Campaign");

    await openTab(page, "Profile");
    const values = await tabRows(page);
    expect(values.map((r) => [r[0], r[1]])).toEqual(expect.arrayContaining([["firstName", "Ada"], ["email", "ada@example.org"]]));
    await shot(page, "lead-dialog-profile");

    await openTab(page, "Associated Campaigns");
    const associated = await apiGet<Collection<Lead>>(base, adminToken, "/api/v4/leads?email=ada@example.org");
    expect(associated["hydra:totalItems"]).toBe(2);
    await poll(async () => (await tabRows(page)).map((r) => r[0])).toEqual(["Acme Campaign", "Acme Webinar (fulfilled)"]);
    // Lead ids as every other screen shows them: digits alone, no thousands separator.
    expect((await tabRows(page)).map((r) => r[1])).toEqual(associated["hydra:member"].map((l) => String(l.id)).sort((a, b) => Number(b) - Number(a)));
    await shot(page, "lead-dialog-associated");

    await openTab(page, "Job Details");
    const jobs = await apiGet<Collection<{ status: string; message: string }>>(base, adminToken, `/api/v4/processr-job-leads?lead.id=${leads.ada}`);
    expect(jobs["hydra:totalItems"]).toBeGreaterThanOrEqual(5);
    await poll(async () => (await tabRows(page)).length).toBe(Math.min(jobs["hydra:totalItems"], 10));
    await poll(async () => (await tabRows(page))[0]![0]).toBe("Required Value Check"); // the job's label, read by reference
    const jobRows = await tabRows(page);
    expect(jobRows[0]![1]).toBe("passed");
    expect(jobRows[0]![3]).toBe(jobs["hydra:member"][0]!.message);
    await shot(page, "lead-dialog-jobs");

    await openTab(page, "Processr Logs");
    expect((await tabRows(page)).length).toBeGreaterThan(0);
    await shot(page, "lead-dialog-processr-logs");

    await openTab(page, "Provider Logs");
    const providerLogs = await apiGet<Collection<{ message: string }>>(base, adminToken, `/api/v4/logs?type=provider&lead.id=${leads.ada}`);
    await poll(async () => (await tabRows(page)).some((r) => r.includes(providerLogs["hydra:member"][0]!.message))).toBe(true);
    // Expanding a row shows the request and the CRM's answer (a div that react-admin hides from the accessibility tree).
    await shot(page, "lead-dialog-provider-logs");
    await panel(page).locator("tbody tr [aria-expanded]").first().click();
    await poll(() => panel(page).locator("pre").first().textContent()).toContain("CRM-1");
    await shot(page, "lead-dialog-provider-log-expanded");

    await openTab(page, "Edit Data");
    expect((await tabRows(page)).map((r) => r[0])).toEqual(expect.arrayContaining(["firstName", "lastName", "email"]));
    await openTab(page, "Notes");
    expect((await tabRows(page)).length).toBeGreaterThan(0); // the Processr's outcome and the delivery
    await shot(page, "lead-dialog-notes");
    expect(errors).toEqual([]);
  });

  it("edits a value and adds one: the API has them, the note appears, a system value is refused with the API's message", async () => {
    const { page, errors } = await adminOnLead(leads.ada);
    await openTab(page, "Edit Data");
    await panel(page).getByRole("button", { name: "Edit firstName" }).click();
    await panel(page).getByLabel("New value of firstName").fill("Augusta Ada");
    await shot(page, "lead-dialog-edit-value");
    await panel(page).getByRole("button", { name: "Save firstName" }).click();
    await poll(() => panel(page).getByRole("button", { name: "Edit firstName" }).isVisible()).toBe(true);
    expect((await lead(leads.ada)).firstName).toBe("Augusta Ada");
    // The profile and the list follow without a reload.
    await poll(() => dialog(page).getByLabel("Lead profile").getByRole("heading").textContent()).toBe("Augusta Ada Lovelace");

    await panel(page).getByLabel("New Fieldname").fill("jobTitle");
    await panel(page).getByLabel("New Value").fill("Analyst");
    await panel(page).getByRole("button", { name: "Add" }).click();
    await poll(async () => (await tabRows(page)).map((r) => r[0])).toContain("jobTitle");

    await panel(page).getByLabel("New Fieldname").fill("leadHash");
    await panel(page).getByLabel("New Value").fill("forged");
    await panel(page).getByRole("button", { name: "Add" }).click();
    await poll(() => panel(page).getByRole("alert").first().textContent()).toBe('name: "leadHash" is a system value and cannot be edited.');
    await shot(page, "lead-dialog-edit-refused");

    await openTab(page, "Notes");
    const notes = (await tabRows(page)).map((r) => r[2]);
    expect(notes).toContain('Lead data "firstName" changed from "Ada" to "Augusta Ada".');
    expect(notes).toContain('Lead data "jobTitle" added with value "Analyst".');
    await shot(page, "lead-dialog-notes-after-edit");
    expect(errors).toEqual([]);
  });

  it("flags a lead Invalid with a reason (a missing reason gets the API's message) and shows it everywhere without a reload", async () => {
    const { page, errors } = await adminOnLead(leads.ada);
    await dialog(page).getByRole("button", { name: "Change flag" }).click();
    const flagDialog = page.getByRole("dialog", { name: /Change the flag/ });
    await flagDialog.getByRole("button", { name: "Save flag" }).click();
    await poll(() => flagDialog.getByRole("alert").textContent()).toBe("reason: A reason is required.");
    expect((await lead(leads.ada)).leadFlag?.name).toBe("Valid");

    await flagDialog.getByLabel("Reason").fill("Telephone number belongs to someone else");
    await shot(page, "lead-flag-dialog");
    await flagDialog.getByRole("button", { name: "Save flag" }).click();
    await poll(() => flagDialog.isVisible()).toBe(false);
    expect((await lead(leads.ada)).leadFlag?.name).toBe("Invalid");
    await poll(() => dialog(page).getByLabel("Lead profile").textContent()).toContain("Invalid");
    await openTab(page, "Notes");
    await poll(async () => (await tabRows(page)).some((r) => r[3] === "Valid → Invalid" && r[4] === "Telephone number belongs to someone else"))
      .toBe(true);
    await shot(page, "lead-dialog-flagged");
    await dialog(page).getByRole("button", { name: "Close" }).click();
    await poll(() => row(page, leads.ada).textContent()).toContain("Invalid");

    // The flag filter finds it, through the API.
    const byFlag = page.waitForResponse((r) => decodeURIComponent(r.url()).includes("leadFlag.id=2"));
    await page.getByLabel("Flag").click();
    await page.getByRole("option", { name: "Invalid" }).click();
    expect((await byFlag).status()).toBe(200);
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents()).toEqual([String(leads.ada)]);
    await shot(page, "leads-list-invalid");
    expect(errors).toEqual([]);
  });

  it("reprocesses a lead and deletes one only after confirmation", async () => {
    const { page, errors } = await adminOnLead(leads.alan);
    await dialog(page).getByRole("button", { name: "Reprocess" }).click();
    await poll(() => page.getByText("Lead queued for reprocessing").isVisible()).toBe(true);
    await poll(async () => (await lead(leads.alan)).processrStatus, 60_000).toBe(1000);
    await dialog(page).getByRole("button", { name: "Close" }).click();

    await openLead(page, leads.joan);
    await dialog(page).getByRole("button", { name: "Delete" }).click();
    await poll(() => page.getByText("Delete this lead?").isVisible()).toBe(true);
    await shot(page, "lead-delete-confirm");
    await page.getByRole("button", { name: "Cancel" }).click();
    expect((await fetch(`${base}/api/v4/leads/${leads.joan}`, { headers: { Authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    await dialog(page).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Confirm" }).click();
    await poll(() => dialog(page).count()).toBe(0);
    await poll(() => row(page, leads.joan).count()).toBe(0);
    expect((await fetch(`${base}/api/v4/leads/${leads.joan}`, { headers: { Authorization: `Bearer ${adminToken}` } })).status).toBe(404);
    expect(errors).toEqual([]);
  });

  it("fits all leads in a 1280-pixel window: a long email wraps at its @ and dots instead of pushing View off screen", async () => {
    const email = "augusta.ada.king.countess.of.lovelace@analytical-engine.example.org";
    const id = await capture("northwind", { firstName: "Augusta", lastName: "King", email });
    const { page, errors } = await signIn("admin");
    await page.goto("/#/leads");
    await poll(() => row(page, id).textContent()).toContain("Acme Campaign"); // every column's reference read
    expect(await row(page, id).locator("td.column-email").textContent()).toBe(email);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    const view = await row(page, id).getByRole("button", { name: "View" }).boundingBox();
    expect(view!.x + view!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
    await shot(page, "leads-list-all");
    expect(errors).toEqual([]);
  });

  it("keeps a long unbroken value inside the Lead Data dialog: Profile and Notes wrap it rather than scroll sideways", async () => {
    const digest = "ab12".repeat(32); // a SHA-512 in hex: 128 characters without a break
    await apiPost("/api/v4/lead-datas", { lead: `/api/v4/leads/${leads.ada}`, name: "emailSha512", value: digest });
    const { page, errors } = await adminOnLead(leads.ada);
    for (const tab of ["Profile", "Notes"]) {
      await openTab(page, tab);
      await poll(() => panel(page).textContent()).toContain(digest);
      expect(await panel(page).evaluate((p) => p.scrollWidth - p.clientWidth), tab).toBe(0);
    }
    await shot(page, "lead-dialog-long-value");
    expect(errors).toEqual([]);
  });
});

describe("Leads (publisher user)", () => {
  it("lists only its own leads, cannot open another publisher's, and sees none of the client's terms", async () => {
    const { page, errors } = await signIn("agencyPartners");
    const token = await apiToken(base, ...USERS.agencyPartners);
    const own = await apiGet<Collection<Lead>>(base, token, "/api/v4/leads?itemsPerPage=100&order[id]=desc");
    expect(own["hydra:member"].map((l) => l.id)).toEqual([leads.alan]);
    await page.getByRole("menuitem", { name: "Leads", exact: true }).click();
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents()).toEqual([String(leads.alan)]);
    await poll(() => row(page, leads.alan).textContent()).toContain("Acme Campaign"); // the campaign, read by reference
    await shot(page, "leads-list-publisher");

    await openLead(page, leads.alan);
    const tabs = await dialog(page).getByRole("tab").allTextContents();
    expect(tabs).toEqual(["Profile", "Associated Campaigns", "Job Details", "Processr Logs", "Notes"]);
    for (const action of ["Change flag", "Reprocess", "Delete"]) {
      expect(await dialog(page).getByRole("button", { name: action }).count(), action).toBe(0);
    }
    const profile = (await dialog(page).getByLabel("Lead profile").textContent()) ?? "";
    expect(profile).toContain("Publisher billable");
    expect(profile).not.toContain("Advertiser");
    await openTab(page, "Job Details");
    // The checks by the labels their messages quote; their outcome is the publisher's to see.
    await poll(async () => (await tabRows(page))[0]![0]).toBe("Required Value Check");
    await shot(page, "lead-dialog-publisher");
    await dialog(page).getByRole("button", { name: "Close" }).click();

    // Another publisher's lead by its address: the API's 404, nothing of the lead.
    await page.goto(`/#/leads/${encodeURIComponent(`/api/v4/leads/${leads.ada}`)}/show`);
    await poll(() => dialog(page).getByRole("alert").textContent()).toBe(
      `Lead ${leads.ada} is not one of your leads: a publisher sees only the leads it sent. Check the lead id, or find the lead in your Leads list.`,
    );
    expect(await dialog(page).textContent()).not.toContain("Lovelace");
    await shot(page, "lead-dialog-publisher-other");

    // The export has its own leads only, without the client's terms.
    await dialog(page).getByRole("button", { name: "Close" }).click();
    const { header, records } = await exportCsv(page);
    expect(records.map((r) => r[header.indexOf("id")])).toEqual([String(leads.alan)]);
    expect(header).not.toContain("advertiserPayout");
    expect(errors).toEqual([]);
  });
});
