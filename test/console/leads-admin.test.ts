// An admin's work on the Leads screens in a real browser against the demo: rows selected on screen
// (or every lead of the list's filter) are flagged, marked and deleted through the bulk API, the
// job's progress is shown until it is done, the list is refreshed, and the API's own message is
// shown when it refuses a request (outcomes read back through the API); an archived lead's Lead
// Data dialog says it is archived.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { apiGet, apiToken, shot, useDemo } from "./browser";
import { signInAs } from "./processr-console";

const demo = useDemo();
const ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;
const NORTHWIND = { id: 12, key: "0c463164f0d4fcb604d8fd9f80737476" };

interface Lead {
  id: number;
  processrStatus: number;
  leadFlag: { name: string } | null;
  otherReason: string | null;
}

let base: string;
let token: string;
const ids: number[] = [];

async function capture(email: string): Promise<number> {
  const res = await fetch(`${base}/api/v2.4/publisher/${NORTHWIND.id}/forms/35/campaign/601/leads`, {
    method: "POST",
    headers: { "X-Api-Key": NORTHWIND.key, "Content-Type": "application/json" },
    body: JSON.stringify({ form: { firstName: "Bulk", lastName: email.split("@")[0], email, submit: true } }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

const lead = (id: number) => apiGet<Lead>(base, token, `/api/v4/leads/${id}`);
const poll = <T>(read: () => T | Promise<T>, timeout = 30_000) => expect.poll(read, { timeout, interval: 250 });

beforeAll(async () => {
  base = demo.ent.urls.acme;
  token = await apiToken(base, ...ADMIN);
  for (const email of ["bulk-one@example.org", "bulk-two@example.org", "bulk-three@example.org"]) ids.push(await capture(email));
  // Processed first, so that the Processr does not set the flags the tests set.
  await vi.waitFor(async () => {
    for (const id of ids) expect((await lead(id)).processrStatus).toBe(1000);
  }, { timeout: 60_000, interval: 500 });
}, 300_000);

const signIn = () => signInAs(demo.browser, base, ...ADMIN);

const row = (page: Page, id: number) => page.locator("tbody tr", { has: page.locator("td.column-originId", { hasText: new RegExp(`^${id}$`) }) });
const bulkDialog = (page: Page) => page.getByRole("dialog");

async function choose(page: Page, menu: string, operation: string) {
  await page.getByRole("button", { name: menu }).click();
  await page.getByRole("menuitem", { name: `${operation}…` }).click();
  await poll(() => bulkDialog(page).isVisible()).toBe(true);
}

describe("Leads bulk actions (admin)", () => {
  it("flags the selected rows with a reason, shows the API's message when the reason is missing, and the job's progress until done", async () => {
    const { page, errors } = await signIn();
    await page.goto(`/#/campaigns/601/leads?filter=${encodeURIComponent("{}")}`);
    await poll(() => row(page, ids[0]!).count()).toBe(1);
    for (const id of ids.slice(0, 2)) await row(page, id).getByRole("checkbox").check();
    await choose(page, "Bulk actions", "Flag");
    expect(await bulkDialog(page).getByRole("heading").textContent()).toBe("Flag: 2 selected leads");

    // No reason: the API refuses the request, its message is shown and nothing changes.
    await bulkDialog(page).getByLabel("New flag").click();
    await page.getByRole("option", { name: "Test" }).click();
    await bulkDialog(page).getByRole("button", { name: "Flag" }).click();
    await poll(() => bulkDialog(page).getByRole("alert").textContent()).toContain("A reason is required.");
    expect((await lead(ids[0]!)).leadFlag?.name).not.toBe("Test");
    await shot(page, "leads-bulk-missing-reason");

    await bulkDialog(page).getByLabel("Reason").fill("Internal test submissions");
    await bulkDialog(page).getByRole("button", { name: "Flag" }).click();
    await poll(() => bulkDialog(page).getByLabel("Bulk job progress").textContent()).toMatch(/finished — 2 of 2 leads handled, 2 done, 0 failed/);
    await shot(page, "leads-bulk-progress");
    expect((await lead(ids[0]!)).leadFlag?.name).toBe("Test");
    expect((await lead(ids[1]!)).leadFlag?.name).toBe("Test");
    expect((await lead(ids[2]!)).leadFlag?.name).not.toBe("Test");
    await bulkDialog(page).getByRole("button", { name: "Close" }).click();
    // The list was refreshed: the rows show the new flag, and the selection is cleared.
    await poll(() => row(page, ids[0]!).textContent()).toContain("Test");
    await poll(() => row(page, ids[0]!).getByRole("checkbox").isChecked()).toBe(false);
    expect(errors).toEqual([]);
  });

  it("applies an operation to every lead matching the list's filter, and shows the API's refusal of an empty filter", async () => {
    const { page, errors } = await signIn();
    // All leads, no filter: the API never takes that to mean every lead.
    await page.goto(`/#/leads?filter=${encodeURIComponent("{}")}`);
    await poll(() => page.locator("tbody tr").count()).toBeGreaterThan(0);
    await choose(page, "Apply to all matching", "Reprocess");
    await bulkDialog(page).getByRole("button", { name: "Reprocess" }).click();
    await poll(() => bulkDialog(page).getByRole("alert").textContent()).toContain("The filter uses none of the /api/v4/leads filters");
    await bulkDialog(page).getByRole("button", { name: "Cancel" }).click();

    // One email: only that lead is marked, with the comment.
    await page.goto(`/#/leads?filter=${encodeURIComponent(JSON.stringify({ email: "bulk-three@example.org" }))}`);
    await poll(() => page.locator("tbody tr td.column-originId").allTextContents()).toEqual([String(ids[2])]);
    await choose(page, "Apply to all matching", "Mark as replacement / other");
    expect(await bulkDialog(page).getByRole("heading").textContent()).toBe("Mark as replacement / other: every lead matching the filter (1)");
    await bulkDialog(page).getByLabel("Comment").fill("Replaces a duplicate");
    await bulkDialog(page).getByRole("button", { name: "Mark as replacement / other" }).click();
    await poll(() => bulkDialog(page).getByLabel("Bulk job progress").textContent()).toMatch(/finished — 1 of 1 lead handled, 1 done/);
    expect((await lead(ids[2]!)).otherReason).toBe("Replacement");
    expect((await lead(ids[0]!)).otherReason).toBeNull();

    await bulkDialog(page).getByRole("button", { name: "Close" }).click();
    await choose(page, "Apply to all matching", "Delete");
    await bulkDialog(page).getByRole("button", { name: "Delete" }).click();
    await poll(() => bulkDialog(page).getByLabel("Bulk job progress").textContent()).toMatch(/finished/);
    await bulkDialog(page).getByRole("button", { name: "Close" }).click();
    // Refreshed: the deleted lead has left the list.
    await poll(() => page.locator("tbody tr td.column-originId").count()).toBe(0);
    const res = await fetch(`${base}/api/v4/leads/${ids[2]}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    expect(errors).toEqual([]);
  });
});

describe("Lead Data dialog of an archived lead", () => {
  it("marks the lead as archived and says what that means", async () => {
    const { page, errors } = await signIn();
    // The demo archives nothing within a test run (leads are archived days after capture), so the
    // API's answers for this lead (its item, and its row of a collection, which primes the item's
    // cache) are given the one field an archived lead's answer adds.
    const archived = (lead: { id: number }) => (lead.id === ids[0] ? { ...lead, archived: true } : lead);
    await page.route(/\/api\/v4\/leads(\/\d+)?(\?|$)/, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      const members = body["hydra:member"] as { id: number }[] | undefined;
      const json = members ? { ...body, "hydra:member": members.map(archived) } : archived(body);
      const headers = { ...res.headers() };
      delete headers["content-length"];
      await route.fulfill({ status: res.status(), headers, body: JSON.stringify(json) });
    });
    await page.goto(`/#/leads/${encodeURIComponent(`/api/v4/leads/${ids[0]}`)}/show`);
    const dialog = page.getByRole("dialog", { name: /^Lead Data/ });
    await poll(() => dialog.getByLabel("Lead profile").isVisible()).toBe(true);
    await shot(page, "lead-dialog-archived");
    await poll(() => dialog.getByLabel("Archived lead").textContent()).toContain("This lead is archived");
    expect(await dialog.getByText("Archived", { exact: true }).isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });
});
