// The console's validation lists in a real browser against the demo: a list is created, given
// entries one by one, by CSV import and removed again, exported as the API's CSV; a bad CSV shows
// the rows the API refused and adds nothing; adding an email to an erasure list asks first and then
// redacts that person's lead. Outcomes are read back through the API.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { apiGet, apiToken, SHOTS_DIR, shot, useDemo } from "./browser";
import { signInAs } from "./processr-console";

const demo = useDemo();
const ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;
const NORTHWIND = { id: 12, key: "0c463164f0d4fcb604d8fd9f80737476" };

interface Collection<T> {
  "hydra:member": T[];
  "hydra:totalItems": number;
}
interface Entry {
  value: string;
}
interface List {
  "@id": string;
  id: number;
  name: string;
  erasure: boolean;
}

let base: string;
let token: string;

const poll = <T>(read: () => T | Promise<T>, timeout = 30_000) => expect.poll(read, { timeout, interval: 250 });
const entries = async (listId: number) =>
  (await apiGet<Collection<Entry>>(base, token, `/api/v4/validation-list-entries?validationList.id=${listId}&itemsPerPage=100`))["hydra:member"]
    .map((e) => e.value)
    .sort();
/** The list of that exact name (the API's name filter is partial, and the demo has lists of its own). */
const listNamed = async (name: string) =>
  (await apiGet<Collection<List>>(base, token, `/api/v4/validation-lists?name=${encodeURIComponent(name)}`))["hydra:member"].find((l) => l.name === name);

beforeAll(async () => {
  base = demo.ent.urls.acme;
  token = await apiToken(base, ...ADMIN);
}, 300_000);

const signIn = () => signInAs(demo.browser, base, ...ADMIN);

async function createList(page: Page, name: string, kind: string, erasure: boolean) {
  await page.goto("/#/validation-lists/create");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Kind").click();
  await page.getByRole("option", { name: kind }).click();
  if (erasure) await page.getByLabel(/Erasure list/).check();
  await page.getByRole("button", { name: "Save" }).click();
  await poll(() => page.getByRole("heading", { name, exact: true }).isVisible()).toBe(true);
}

const entryRows = (page: Page) => page.locator("tbody tr td.column-value").allTextContents();
/** The entries' paging range ("1-2 of 2"), or null when the screen shows none. */
async function pagingRange(page: Page): Promise<string | null> {
  const range = page.locator(".MuiTablePagination-displayedRows");
  return (await range.count()) ? range.textContent() : null;
}
/** An empty list shows its empty text and no paging (the API answers hydra:totalItems 0). */
async function expectNoEntries(page: Page) {
  await poll(() => page.getByText("The list has no entries yet.").isVisible()).toBe(true);
  expect(await pagingRange(page)).toBeNull();
}

function csvFile(name: string, text: string): string {
  const path = join(SHOTS_DIR, name);
  writeFileSync(path, text);
  return path;
}

describe("Validation lists (admin)", () => {
  it("creates a list, adds and removes entries, imports a CSV (a bad one names its rows) and exports the list", async () => {
    const { page, errors } = await signIn();
    await page.getByRole("menuitem", { name: "Validation lists" }).click();
    await createList(page, "Rival domains", "Email domains", false);
    const list = (await listNamed("Rival domains"))!;
    await expectNoEntries(page);

    await page.getByLabel("New entry").fill("Rival.example");
    await page.getByRole("button", { name: "Add" }).click();
    await poll(() => entryRows(page)).toEqual(["rival.example"]);
    await poll(() => pagingRange(page)).toBe("1-1 of 1");
    // A value that is not a domain: the API's message, and nothing added.
    await page.getByLabel("New entry").fill("not a domain");
    await page.getByRole("button", { name: "Add" }).click();
    await poll(() => page.getByRole("alert").filter({ hasText: '"not a domain" is not' }).count()).toBe(1);
    expect(await entries(list.id)).toEqual(["rival.example"]);

    await page.getByLabel("CSV file to import").setInputFiles(csvFile("bad-domains.csv", "domain\nother.example\nnot a domain\nthird.example\n@@@\n"));
    await poll(() => page.getByLabel("Import refused").textContent()).toContain("Row 3:");
    const refused = (await page.getByLabel("Import refused").locator("li").allTextContents());
    expect(refused.map((m) => m.split(":")[0])).toEqual(["Row 3", "Row 5"]);
    await shot(page, "validation-list-import-refused");
    expect(await entries(list.id)).toEqual(["rival.example"]);

    await page.getByLabel("CSV file to import").setInputFiles(csvFile("domains.csv", "domain\nother.example\nRIVAL.example\nthird.example\n"));
    await poll(() => entryRows(page)).toHaveLength(3);
    await poll(() => pagingRange(page)).toBe("1-3 of 3");
    expect(await entries(list.id)).toEqual(["other.example", "rival.example", "third.example"]);

    const row = page.locator("tbody tr", { has: page.locator("td.column-value", { hasText: /^third\.example$/ }) });
    await row.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await poll(() => entryRows(page)).toHaveLength(2);
    await poll(() => pagingRange(page)).toBe("1-2 of 2");
    expect(await entries(list.id)).toEqual(["other.example", "rival.example"]);
    await shot(page, "validation-list");

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const lines = readFileSync((await (await download).path())!, "utf8").split("\r\n").filter(Boolean);
    expect(lines[0]).toBe("value,validationList,listName,kind,createdTs");
    expect(lines.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(["other.example", "rival.example"]);

    // The list of lists shows the count.
    await page.getByRole("menuitem", { name: "Validation lists" }).click();
    const listRow = page.locator("tbody tr", { has: page.locator("td.column-name", { hasText: "Rival domains" }) });
    await poll(() => listRow.locator("td.column-entries").textContent()).toBe("2");
    expect(errors).toEqual([]);
  });

  it("asks before adding an email to an erasure list, then that person's lead is redacted", async () => {
    const res = await fetch(`${base}/api/v2.4/publisher/${NORTHWIND.id}/forms/35/campaign/601/leads`, {
      method: "POST",
      headers: { "X-Api-Key": NORTHWIND.key, "Content-Type": "application/json" },
      body: JSON.stringify({ form: { firstName: "Erin", lastName: "Erasmus", email: "erin@example.org", submit: true } }),
    });
    expect(res.status).toBe(201);
    const leadId = ((await res.json()) as { data: number }).data;

    const { page, errors } = await signIn();
    await createList(page, "GDPR erasure requests", "Emails", true);
    await poll(() => page.getByText("This is the GDPR erasure list").isVisible()).toBe(true);
    await expectNoEntries(page);
    await page.getByLabel("New entry").fill("erin@example.org");
    await page.getByRole("button", { name: "Add" }).click();
    const confirm = page.getByRole("dialog", { name: "Erase this person's leads?" });
    await poll(() => confirm.textContent()).toContain("erin@example.org");
    // The dialog and its backdrop fade in: the screenshot (docs/console.md shows it) waits until they are opaque.
    const faded = ".MuiDialog-container, .MuiBackdrop-root";
    await poll(() => page.evaluate((sel) => Array.from(document.querySelectorAll(sel)).every((el) => getComputedStyle(el).opacity === "1"), faded)).toBe(true);
    await shot(page, "validation-list-erasure-confirm");
    // Cancelled: nothing added, nothing erased.
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await poll(() => confirm.count()).toBe(0);
    const list = (await listNamed("GDPR erasure requests"))!;
    expect(await entries(list.id)).toEqual([]);
    expect((await apiGet<{ email: string }>(base, token, `/api/v4/leads/${leadId}`)).email).toBe("erin@example.org");

    await page.getByRole("button", { name: "Add" }).click();
    await confirm.getByRole("button", { name: "Add and erase" }).click();
    await poll(() => entryRows(page)).toEqual(["erin@example.org"]);
    await poll(() => pagingRange(page)).toBe("1-1 of 1");
    await vi.waitFor(async () => {
      const lead = await apiGet<{ email: string; firstName: string }>(base, token, `/api/v4/leads/${leadId}`);
      expect(lead.email).not.toBe("erin@example.org");
      expect(lead.firstName).not.toBe("Erin");
    }, { timeout: 30_000, interval: 500 });
    expect(errors).toEqual([]);
  });
});
