// The console's dashboard and campaign screens in a real browser against both demo enterprises:
// the figures on screen are the API's, and writes made on screen reach the API.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiGet, apiToken, newPage, shot, useDemo } from "./browser";

const demo = useDemo();

const ADMINS = {
  acme: ["admin@acme.test", "acme-admin-2026!"],
  agency: ["admin@agency.test", "agency-admin-2026!"],
} as const;

async function signIn(name: keyof typeof ADMINS): Promise<{ page: Page; errors: string[] }> {
  const opened = await newPage(demo.browser, demo.ent.urls[name]);
  const { page } = opened;
  await page.goto("/");
  await page.getByLabel("Username").fill(ADMINS[name][0]);
  await page.getByLabel("Password", { exact: true }).fill(ADMINS[name][1]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible(), { timeout: 20_000 }).toBe(true);
  return opened;
}

interface Collection<T> {
  "hydra:member": T[];
}
interface Stat {
  id: number;
  validLeads: number;
  cautionLeads: number;
  invalidLeads: number;
  testLeads: number;
  billableLeads: number;
}
interface Campaign {
  "@id": string;
  id: number;
  name: string;
  status: string;
}

describe("dashboard", () => {
  for (const name of ["acme", "agency"] as const) {
    it(`shows ${name}'s statistics exactly as the API gives them`, async () => {
      const { page, errors } = await signIn(name);
      const token = await apiToken(demo.ent.urls[name], ...ADMINS[name]);
      const stats = await apiGet<Collection<Stat>>(demo.ent.urls[name], token, "/api/v4/statistics?itemsPerPage=100");
      const campaigns = await apiGet<Collection<Campaign>>(demo.ent.urls[name], token, "/api/v4/campaigns?itemsPerPage=10&order[id]=asc");
      expect(campaigns["hydra:member"].length).toBeGreaterThan(0);
      await expect.poll(() => page.locator("tr[data-campaign]").count()).toBe(campaigns["hydra:member"].length);
      for (const c of campaigns["hydra:member"]) {
        const s = stats["hydra:member"].find((x) => x.id === c.id)!;
        const row = page.locator(`tr[data-campaign="${c.id}"]`);
        await expect.poll(() => row.locator("td").first().textContent()).toBe(c.name);
        for (const key of ["validLeads", "cautionLeads", "invalidLeads", "testLeads", "billableLeads"] as const) {
          expect(await row.locator(`td[data-figure="${key}"]`).textContent(), `${c.name} ${key}`).toBe(String(s[key]));
        }
      }
      // The chart shows a campaign with leads: pick the one with the most.
      const busiest = [...stats["hydra:member"]].sort((a, b) => b.billableLeads + b.invalidLeads - (a.billableLeads + a.invalidLeads))[0]!;
      const chart = page.locator(`tr[data-campaign="${busiest.id}"]`).getByRole("button", { name: "Chart" });
      if (await chart.isEnabled()) await chart.click(); // disabled: its chart is already shown
      const days = await apiGet<Collection<unknown>>(demo.ent.urls[name], token, `/api/v4/lead-statistics-chronologies?campaign.id=${busiest.id}`);
      if (days["hydra:member"].length) {
        await expect.poll(() => page.locator(".recharts-bar-rectangle").count(), { timeout: 10_000 }).toBeGreaterThan(0);
      }
      await shot(page, `dashboard-${name}`);
      expect(errors).toEqual([]);
    });
  }
});

describe("generated screens", () => {
  it("has a screen for every collection of the entrypoint, and each reads its collection", async () => {
    const { page, errors } = await signIn("acme");
    const entrypoint = (await (await fetch(`${demo.ent.urls.acme}/api/v4`)).json()) as Record<string, string>;
    const paths = Object.entries(entrypoint).filter(([k]) => !k.startsWith("@")).map(([, v]) => v);
    // The menu: the dashboard plus one item per collection, so the documentation skipped none.
    await expect.poll(() => page.getByRole("menuitem").count()).toBe(paths.length + 1);
    await shot(page, "menu");
    // Every item reads as words: react-admin would show the paths ("Lead-datas", "Oauth-clients").
    const labels = await page.getByRole("menuitem").allTextContents();
    expect(labels.filter((l) => l.includes("-"))).toEqual([]);
    expect(labels).toEqual(expect.arrayContaining(["Lead data", "OAuth clients", "Campaign links"]));
    // A generated reference shows the record's name, not its IRI: forms name their campaign.
    const token = await apiToken(demo.ent.urls.acme, ...ADMINS.acme);
    const campaigns = await apiGet<Collection<Campaign>>(demo.ent.urls.acme, token, "/api/v4/campaigns?itemsPerPage=100");
    const names = new Set(campaigns["hydra:member"].map((c) => c.name));
    await page.getByRole("menuitem", { name: "Forms", exact: true }).click();
    const cells = page.locator("tbody td.column-campaign");
    await expect.poll(async () => {
      const texts = await cells.allTextContents();
      return texts.length > 0 && texts.every((t) => names.has(t));
    }).toBe(true);
    await shot(page, "forms-list");
    for (const path of paths) {
      const read = page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === "GET");
      await page.goto(`/#/${path.replace("/api/v4/", "")}`);
      expect((await read).status(), path).toBe(200);
    }
    expect(errors).toEqual([]);
  });
});

describe("campaigns", () => {
  it("lists, filters by status and orders through the API", async () => {
    const { page, errors } = await signIn("acme");
    const token = await apiToken(demo.ent.urls.acme, ...ADMINS.acme);
    const all = await apiGet<Collection<Campaign>>(demo.ent.urls.acme, token, "/api/v4/campaigns?itemsPerPage=100&order[id]=desc");
    await page.getByRole("menuitem", { name: "Campaigns" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(all["hydra:member"].length);
    await expect.poll(() => page.locator("tbody tr td.column-name").allTextContents()).toEqual(all["hydra:member"].map((c) => c.name));
    await shot(page, "campaigns-list");

    const active = await apiGet<Collection<Campaign>>(demo.ent.urls.acme, token, "/api/v4/campaigns?itemsPerPage=100&status[]=Active");
    const filtered = page.waitForResponse((r) => decodeURIComponent(r.url()).includes("status[]=Active"));
    await page.getByLabel("Status").click();
    await page.getByRole("option", { name: "Active", exact: true }).click();
    expect((await filtered).status()).toBe(200);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(active["hydra:member"].length);
    await shot(page, "campaigns-list-active");

    const ordered = page.waitForResponse((r) => decodeURIComponent(r.url()).includes("order[name]="));
    await page.getByRole("button", { name: "Name" }).click();
    expect((await ordered).status()).toBe(200);
    expect(errors).toEqual([]);
  });

  it("edits a campaign, pauses and resumes it, and the API has each change", async () => {
    const { page, errors } = await signIn("acme");
    const token = await apiToken(demo.ent.urls.acme, ...ADMINS.acme);
    const id = "/api/v4/campaigns/602";
    await page.goto(`/#/campaigns/${encodeURIComponent(id)}/show`);
    await expect.poll(() => page.getByRole("tab", { name: "Summary" }).isVisible(), { timeout: 20_000 }).toBe(true);
    await shot(page, "campaign-show");

    await page.getByRole("link", { name: "Edit" }).click();
    const nameInput = page.getByLabel("Name");
    await nameInput.fill("Acme Spring Launch (renamed)");
    await page.getByLabel("Threshold score").fill("80");
    await shot(page, "campaign-edit");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("tab", { name: "Summary" }).isVisible()).toBe(true);
    const saved = await apiGet<Campaign & { defaultThresholdScore: number }>(demo.ent.urls.acme, token, id);
    expect(saved.name).toBe("Acme Spring Launch (renamed)");
    expect(saved.defaultThresholdScore).toBe(80);

    // A bad value: the API's violation is shown and nothing changes.
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Threshold score").fill("180");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toMatch(/defaultThresholdScore|100/);
    await shot(page, "campaign-edit-error");
    expect((await apiGet<{ defaultThresholdScore: number }>(demo.ent.urls.acme, token, id)).defaultThresholdScore).toBe(80);

    await page.goto(`/#/campaigns/${encodeURIComponent(id)}/show`);
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByLabel("Reason").fill("Creative review");
    await page.getByRole("dialog").getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Resume" }).isVisible()).toBe(true);
    const paused = await apiGet<Campaign & { pauseReason: string }>(demo.ent.urls.acme, token, id);
    expect(paused.status).toBe("Paused");
    expect(paused.pauseReason).toBe("Creative review");
    await shot(page, "campaign-paused");

    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Pause" }).isVisible()).toBe(true);
    expect((await apiGet<Campaign>(demo.ent.urls.acme, token, id)).status).not.toBe("Paused");
    expect(errors).toEqual([]);
  });

  it("shows a campaign's publishers and rotates a key, showing the new one once", async () => {
    const { page, errors } = await signIn("acme");
    const token = await apiToken(demo.ent.urls.acme, ...ADMINS.acme);
    await page.goto(`/#/campaigns/${encodeURIComponent("/api/v4/campaigns/601")}/show/publishers`);
    await expect.poll(() => page.getByRole("button", { name: "Rotate key" }).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await shot(page, "campaign-publishers");
    const row = page.locator("tbody tr", { hasText: "Northwind Media" });
    await row.getByRole("button", { name: "Rotate key" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate" }).click();
    const shown = await page.getByRole("textbox", { name: "New API key" }).inputValue();
    const publishers = await apiGet<Collection<{ apiKey: string; publisher: { name: string } }>>(
      demo.ent.urls.acme, token, "/api/v4/campaign-publishers?campaign.id=601",
    );
    expect(shown).toBe(publishers["hydra:member"].find((p) => p.publisher.name === "Northwind Media")!.apiKey);
    await shot(page, "campaign-publisher-new-key");
    await page.getByRole("button", { name: "Done" }).click();
    // Afterwards the list shows it masked only.
    await expect.poll(() => row.textContent()).not.toContain(shown);

    await page.getByRole("tab", { name: "Forms" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThan(0);
    await shot(page, "campaign-forms");
    expect(errors).toEqual([]);
  });

  it("duplicates a campaign into a new one and opens it for editing", async () => {
    const { page, errors } = await signIn("acme");
    const token = await apiToken(demo.ent.urls.acme, ...ADMINS.acme);
    const before = await apiGet<Collection<Campaign> & { "hydra:totalItems": number }>(demo.ent.urls.acme, token, "/api/v4/campaigns?itemsPerPage=1");
    await page.goto(`/#/campaigns/${encodeURIComponent("/api/v4/campaigns/601")}/show`);
    const created = page.waitForResponse((r) => r.url().endsWith("/api/v4/campaigns/601/duplicate"));
    await page.getByRole("button", { name: "Duplicate" }).click();
    const response = await created;
    expect(response.status()).toBe(201);
    const copy = (await response.json()) as Campaign;
    expect(copy.id).not.toBe(601);
    await expect.poll(() => decodeURIComponent(page.url())).toContain(`${copy["@id"]}`);
    await expect.poll(() => page.getByLabel("Name").inputValue()).toBe(copy.name);
    await shot(page, "campaign-duplicated");
    const after = await apiGet<{ "hydra:totalItems": number }>(demo.ent.urls.acme, token, "/api/v4/campaigns?itemsPerPage=1");
    expect(after["hydra:totalItems"]).toBe(before["hydra:totalItems"] + 1);
    expect(errors).toEqual([]);
  });

  it("deletes a campaign only after confirmation", async () => {
    const { page, errors } = await signIn("agency");
    const token = await apiToken(demo.ent.urls.agency, ...ADMINS.agency);
    const [first] = (await apiGet<Collection<Campaign>>(demo.ent.urls.agency, token, "/api/v4/campaigns?itemsPerPage=1&order[id]=asc"))["hydra:member"];
    await page.goto(`/#/campaigns/${encodeURIComponent(first!["@id"])}/show`);
    await page.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByText("Delete this campaign?").isVisible()).toBe(true);
    await shot(page, "campaign-delete-confirm");
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect((await fetch(`${demo.ent.urls.agency}${first!["@id"]}`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => page.url()).toMatch(/#\/campaigns$/);
    expect((await fetch(`${demo.ent.urls.agency}${first!["@id"]}`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(404);
    expect(errors).toEqual([]);
  });
});
