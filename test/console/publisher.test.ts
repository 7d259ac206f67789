// The console for a publisher user, in a real browser against the demo: only its own campaigns,
// the Tracking → API Credentials window with a curl example that really posts a lead (the copied
// text is run by a shell against the demo), only its own leads with their QA result, and nothing
// of the client's terms or administration.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiGet, apiToken, newPage, shot, useDemo } from "./browser";

const demo = useDemo();
const run = promisify(execFile);

// Agency Partners (publisher 13) is on campaign 601 only; Northwind (12) on 601, 602 and 603.
const AGENCY_PARTNERS = ["api@agency-partners.test", "agency-partners-2026!"] as const;
const NORTHWIND_KEY = "0c463164f0d4fcb604d8fd9f80737476";
const AGENCY_PARTNERS_KEY = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b";

interface Collection<T> {
  "hydra:member": T[];
}

const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 200 });

async function signInAgencyPartners(): Promise<{ page: Page; errors: string[] }> {
  const opened = await newPage(demo.browser, demo.ent.urls.acme);
  const { page } = opened;
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/");
  await page.getByLabel("Username").fill(AGENCY_PARTNERS[0]);
  await page.getByLabel("Password", { exact: true }).fill(AGENCY_PARTNERS[1]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible()).toBe(true);
  return opened;
}

/** A lead posted to campaign 601's simple form through the publisher API; its id. */
async function capture(publisherId: number, apiKey: string, firstName: string, lastName: string): Promise<number> {
  const res = await fetch(`${demo.ent.urls.acme}/api/v2.4/publisher/${publisherId}/forms/35/campaign/601/leads`, {
    method: "POST",
    headers: { "X-Api-Key": apiKey, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ "form[firstName]": firstName, "form[lastName]": lastName, "form[email]": `${firstName.toLowerCase()}@example.org`, "form[submit]": "true" }).toString(),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

const trackingDialog = (page: Page) => page.getByRole("dialog", { name: /^Tracking Information/ });

describe("publisher view", () => {
  it("lists only its campaigns and no administration in the menu", async () => {
    const { page, errors } = await signInAgencyPartners();
    const menu = await page.getByRole("menuitem").allTextContents();
    expect(menu.sort()).toEqual(["Campaigns", "Dashboard", "Leads"]);
    await page.getByRole("menuitem", { name: "Campaigns" }).click();
    const token = await apiToken(demo.ent.urls.acme, ...AGENCY_PARTNERS);
    const own = await apiGet<Collection<{ id: number }>>(demo.ent.urls.acme, token, "/api/v4/campaigns");
    expect(own["hydra:member"].map((c) => c.id)).toEqual([601]);
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents()).toEqual(["601"]);
    const header = (await page.locator("thead").textContent()) ?? "";
    expect(header).not.toContain("Advertiser");
    await shot(page, "publisher-campaigns");
    expect(errors).toEqual([]);
  });

  it("shows the API Credentials and a curl example that posts a lead (201), which then appears in its leads", async () => {
    const { page, errors } = await signInAgencyPartners();
    await page.goto("/#/campaigns");
    await page.locator("tbody tr").first().getByRole("button", { name: "Tracking" }).click();
    const dialog = trackingDialog(page);
    await poll(() => dialog.getByRole("tab", { name: "API Credentials" }).isVisible()).toBe(true);
    await poll(() => dialog.getByLabel("curl example", { exact: true }).isVisible()).toBe(true);

    // The values the API gives this publisher, and the fields of the publisher API's form list.
    const token = await apiToken(demo.ent.urls.acme, ...AGENCY_PARTNERS);
    const contract = await apiGet<Collection<{ apiKey: string }>>(demo.ent.urls.acme, token, "/api/v4/campaign-publishers?campaign.id=601");
    expect(await dialog.getByRole("textbox", { name: "API Key" }).inputValue()).toBe(contract["hydra:member"][0]!.apiKey);
    expect(await dialog.getByRole("textbox", { name: "Publisher ID" }).inputValue()).toBe("13");
    expect(await dialog.getByRole("textbox", { name: "Campaign ID" }).inputValue()).toBe("601");
    const forms = await apiGet<{ formId: number; fields: string[] }[]>(demo.ent.urls.acme, token, "/api/v2.4/publisher/fields/601");
    expect(await dialog.getByLabel("Form fields").locator(".MuiChip-label").allTextContents()).toEqual(forms[0]!.fields);
    await shot(page, "publisher-api-credentials");

    // The copied command, run as it is against this enterprise.
    await dialog.getByRole("button", { name: "Copy curl example" }).click();
    await poll(() => page.getByText("curl example copied").isVisible()).toBe(true);
    const curl = await page.evaluate(() => navigator.clipboard.readText());
    expect(curl).toBe(await dialog.getByLabel("curl example", { exact: true }).textContent());
    expect(curl).toContain(`${demo.ent.urls.acme}/api/v2.4/publisher/13/forms/${forms[0]!.formId}/campaign/601/leads`);
    expect(curl).toContain("form%5Bemail%5D="); // form-encoded, as the publisher API documents the body
    const { stdout } = await run("sh", ["-c", `${curl} --silent`]);
    const answer = JSON.parse(stdout) as { data: number; message: string; status: number };
    expect(answer).toMatchObject({ message: "Lead was created successfully", status: 201 });

    // Another form's fields and example follow the form chosen.
    const other = forms[1]!;
    await dialog.getByRole("combobox", { name: /^Form/ }).click();
    await page.getByRole("option", { name: new RegExp(`form ID ${other.formId}\\)`) }).click();
    await poll(() => dialog.getByLabel("curl example", { exact: true }).textContent()).toContain(`/forms/${other.formId}/campaign/601/leads`);
    expect(await dialog.getByLabel("Form fields").locator(".MuiChip-label").allTextContents()).toEqual(other.fields);
    await dialog.getByRole("button", { name: "Close" }).click();

    // Its own leads, with the new one and its QA result: the example's values pass the campaign's checks.
    await page.getByRole("menuitem", { name: "Leads", exact: true }).click();
    const row = page.locator("tbody tr", { has: page.locator("td.column-originId", { hasText: new RegExp(`^${answer.data}$`) }) });
    await poll(() => row.count()).toBe(1);
    await poll(async () => {
      await page.getByRole("button", { name: "Refresh" }).click().catch(() => undefined);
      return row.textContent();
    }).toMatch(/Valid|Invalid|Caution|Test/);
    expect((await apiGet<{ leadFlag: { name: string } | null }>(demo.ent.urls.acme, token, `/api/v4/leads/${answer.data}`)).leadFlag?.name).toBe("Valid");
    await shot(page, "publisher-leads");
    expect(errors).toEqual([]);
  });

  it("cannot see another publisher's leads nor the client's terms, and has no admin actions", async () => {
    // A lead of each publisher on the same campaign.
    const ownLead = await capture(13, AGENCY_PARTNERS_KEY, "Alan", "Turing");
    const northwindLead = await capture(12, NORTHWIND_KEY, "Grace", "Hopper");

    const { page, errors } = await signInAgencyPartners();
    await page.goto("/#/leads");
    await poll(() => page.locator("tbody td.column-originId").allTextContents()).toContain(String(ownLead));
    expect(await page.locator("tbody").textContent()).not.toContain("Hopper");
    expect(await page.locator("tbody td.column-originId").allTextContents()).not.toContain(String(northwindLead));
    await page.goto(`/#/leads/${encodeURIComponent(`/api/v4/leads/${northwindLead}`)}/show`);
    await poll(() => page.getByRole("dialog").getByRole("alert").textContent()).toBe(
      `Lead ${northwindLead} is not one of your leads: a publisher sees only the leads it sent. Check the lead id, or find the lead in your Leads list.`,
    );
    expect(await page.getByRole("dialog").textContent()).not.toContain("Hopper");

    // The campaign's page: its own figures and credentials, none of the contract or the client's actions.
    await page.goto(`/#/campaigns/${encodeURIComponent("/api/v4/campaigns/601")}/show`);
    await poll(() => page.getByRole("tab", { name: "API Credentials" }).isVisible()).toBe(true);
    expect(await page.getByRole("tab").allTextContents()).toEqual(["Summary", "API Credentials"]);
    const text = (await page.locator("main").textContent()) ?? "";
    for (const term of ["Advertiser", "Contract", "Payout", "Terms", "Revenue"]) expect(text, term).not.toContain(term);
    for (const action of ["Edit", "Delete", "Duplicate", "Pause", "Processr"]) {
      expect(await page.getByRole("button", { name: action, exact: true }).count(), action).toBe(0);
      expect(await page.getByRole("link", { name: action, exact: true }).count(), action).toBe(0);
    }
    await shot(page, "publisher-campaign");
    await page.getByRole("tab", { name: "API Credentials" }).click();
    await poll(() => page.getByRole("textbox", { name: "API Key" }).isVisible()).toBe(true);
    await shot(page, "publisher-campaign-api-credentials");
    expect(errors).toEqual([]);
  });
});
