// What a user reads on screens whose facts live in two places: a lead's name captured under the
// agency form's `surname`, the API Credentials of a campaign that takes no leads, a lead a publisher
// may not see, a campaign with no leads yet, and an HTTP integration whose own Active setting and the
// job's Enabled switch disagree.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiGet, apiToken, shot, useDemo } from "./browser";
import { openProcessr, poll, signInAs } from "./processr-console";

const demo = useDemo();

const AGENCY_ADMIN = ["admin@agency.test", "agency-admin-2026!"] as const;
const ACME_ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;
const NORTHWIND = ["api@northwind.test", "northwind-2026!"] as const;
const INHOUSE_KEY = "7e6d5c4b3a29180f7e6d5c4b3a291800"; // agency publisher 5 on campaign 701

interface Collection<T> {
  "hydra:member": T[];
}

const trackingDialog = (page: Page) => page.getByRole("dialog", { name: /^Tracking Information/ });

describe("what users see", () => {
  it("a lead captured on the agency form (firstName, surname) has its last name in v4 and in the Lead Data dialog", async () => {
    const base = demo.ent.urls.agency;
    const res = await fetch(`${base}/api/v2.4/publisher/5/forms/71/campaign/701/leads`, {
      method: "POST",
      headers: { "X-Api-Key": INHOUSE_KEY, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        "form[firstName]": "Katherine", "form[surname]": "Johnson", "form[emailAddress]": "katherine@example.org",
        "form[phone]": "020 7946 0001", "form[submit]": "true",
      }).toString(),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = ((await res.json()) as { data: number }).data;
    const token = await apiToken(base, ...AGENCY_ADMIN);
    const lead = await apiGet<{ firstName: string; lastName: string; telephone: string }>(base, token, `/api/v4/leads/${id}`);
    expect(lead).toMatchObject({ firstName: "Katherine", lastName: "Johnson", telephone: "020 7946 0001" });

    const { page, errors } = await signInAs(demo.browser, base, ...AGENCY_ADMIN);
    await page.goto(`/#/campaigns/701/leads?filter=${encodeURIComponent("{}")}`);
    const row = page.locator("tbody tr", { has: page.locator("td.column-originId", { hasText: new RegExp(`^${id}$`) }) });
    await poll(() => row.count()).toBe(1);
    await row.getByRole("button", { name: "View" }).click();
    const profile = page.getByRole("dialog", { name: /^Lead Data/ }).getByLabel("Lead profile");
    await poll(() => profile.getByRole("heading").first().textContent()).toBe("Katherine Johnson");
    expect(await profile.textContent()).toContain("020 7946 0001");
    await shot(page, "lead-dialog-surname");
    expect(errors).toEqual([]);
  });

  it("API Credentials of a campaign that takes no leads say so and show no example; an active campaign's still do", async () => {
    const base = demo.ent.urls.acme;
    const { page, errors } = await signInAs(demo.browser, base, ...NORTHWIND);
    // 603 met its allocation; with its end date passed as well, the publisher API still says "fulfilled".
    const admin = await apiToken(base, ...ACME_ADMIN);
    const put = await fetch(`${base}/api/v4/campaigns/603`, {
      method: "PUT", headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/ld+json" },
      body: JSON.stringify({ startTs: "2026-01-01T00:00:00Z", endTs: "2026-01-31T00:00:00Z" }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const token = await apiToken(base, ...NORTHWIND);
    const ended = await apiGet<{ status: string }>(base, token, "/api/v4/campaigns/603");
    expect(ended.status).toBe("Ended");
    // What the example would have run (with 603's key for publisher 12): the publisher API refuses the lead.
    const refused = await fetch(`${base}/api/v2.4/publisher/12/forms/37/campaign/603/leads`, {
      method: "POST",
      headers: { "X-Api-Key": "1f2e3d4c5b6a79800a9b8c7d6e5f4031", "Content-Type": "application/x-www-form-urlencoded" },
      body: "form%5BfirstName%5D=Jane&form%5BlastName%5D=Doe&form%5Bemail%5D=jane%40example.com&form%5Bsubmit%5D=true",
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe("Campaign is fulfilled");

    await page.goto("/#/campaigns");
    const rowOf = (id: number) => page.locator("tbody tr", { has: page.locator("td.column-originId", { hasText: new RegExp(`^${id}$`) }) });
    await poll(() => rowOf(603).count()).toBe(1);
    await rowOf(603).getByRole("button", { name: "Tracking" }).click();
    const dialog = trackingDialog(page);
    await poll(() => dialog.getByLabel("Campaign takes no leads").textContent()).toContain('403 "Campaign is fulfilled"');
    expect(await dialog.getByRole("textbox", { name: "API Key" }).count()).toBe(1);
    expect(await dialog.getByLabel("curl example", { exact: true }).count()).toBe(0);
    await shot(page, "publisher-api-credentials-ended");
    await dialog.getByRole("button", { name: "Close" }).click();

    await rowOf(601).getByRole("button", { name: "Tracking" }).click();
    await poll(() => trackingDialog(page).getByLabel("curl example", { exact: true }).isVisible()).toBe(true);
    expect(await trackingDialog(page).getByLabel("Campaign takes no leads").count()).toBe(0);
    await trackingDialog(page).getByRole("button", { name: "Close" }).click();

    // Its leads list offers no publisher filter: every lead it sees is its own.
    await page.goto("/#/leads");
    await poll(() => page.getByRole("combobox", { name: "Flag" }).count()).toBe(1);
    expect(await page.getByRole("combobox", { name: "Publisher" }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("a publisher opening another publisher's lead is told it is not one of its leads, as for a lead that does not exist; an admin that there is no such lead", async () => {
    const base = demo.ent.urls.acme;
    // Agency Partners (publisher 13) posts a lead to campaign 601, which Northwind is on too.
    const res = await fetch(`${base}/api/v2.4/publisher/13/forms/35/campaign/601/leads`, {
      method: "POST",
      headers: { "X-Api-Key": "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", "Content-Type": "application/x-www-form-urlencoded" },
      body: "form%5BfirstName%5D=Mary&form%5BlastName%5D=Jackson&form%5Bemail%5D=mary%40example.org&form%5Bsubmit%5D=true",
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const theirs = ((await res.json()) as { data: number }).data;
    // The API's answer to Northwind is the documented 404, word for word the one for a lead that does not exist.
    const token = await apiToken(base, ...NORTHWIND);
    const read = async (id: number) => {
      const r = await fetch(`${base}/api/v4/leads/${id}`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/ld+json" } });
      return [r.status, await r.text()];
    };
    const [foreign, missing] = [await read(theirs), await read(99_999_999)];
    expect(foreign[0]).toBe(404);
    expect(foreign).toEqual(missing);

    const { page, errors } = await signInAs(demo.browser, base, ...NORTHWIND);
    for (const id of [theirs, 99_999_999]) {
      await page.goto(`/#/leads/${encodeURIComponent(`/api/v4/leads/${id}`)}/show`);
      const notice = page.getByRole("dialog", { name: /^Lead Data/ }).getByLabel("Lead not shown");
      await poll(() => notice.count()).toBe(1);
      expect(await notice.textContent()).toBe(
        `Lead ${id} is not one of your leads: a publisher sees only the leads it sent. Check the lead id, or find the lead in your Leads list.`,
      );
    }
    await shot(page, "publisher-foreign-lead");
    expect(errors).toEqual([]);

    // An admin sees every lead: a 404 there means there is no such lead.
    const admin = await signInAs(demo.browser, base, ...ACME_ADMIN);
    await admin.page.goto(`/#/leads/${encodeURIComponent("/api/v4/leads/99999999")}/show`);
    const missingNotice = admin.page.getByRole("dialog", { name: /^Lead Data/ }).getByLabel("Lead not shown");
    await poll(() => missingNotice.count()).toBe(1);
    expect(await missingNotice.textContent()).toBe("There is no lead 99999999: it does not exist or was deleted.");
    expect(admin.errors).toEqual([]);
  });

  it("on a 390-pixel phone, a table wider than the screen scrolls on its own: the page, its app bar, a list's filters and pagination and the Processr's scores stay readable", async () => {
    // Signed in on the phone: its menu starts closed (a menu left open by a resize covers the page).
    const { page, errors } = await signInAs(demo.browser, demo.ent.urls.acme, ...ACME_ADMIN, { width: 390, height: 844 });
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    /** The scrolling box around the table named `table`: how wide it shows and how wide it scrolls. */
    const scroller = (table: string) =>
      page.getByRole("table", { name: table }).evaluate((t) => {
        let box = t.parentElement!;
        while (getComputedStyle(box).overflowX !== "auto") box = box.parentElement!;
        return { shown: box.clientWidth, scrolls: box.scrollWidth };
      });

    const figures = page.getByRole("table", { name: "Campaign figures" });
    await poll(() => figures.getByRole("link", { name: "Acme Campaign" }).count()).toBe(1);
    expect(await pageWidth()).toBe(390);
    const dashboard = await scroller("Campaign figures");
    expect(dashboard.shown).toBeLessThan(390);
    expect(dashboard.scrolls).toBeGreaterThan(dashboard.shown);
    await shot(page, "phone-dashboard");

    await page.goto("/#/campaigns");
    await poll(() => page.getByRole("cell", { name: "Acme Campaign", exact: true }).count()).toBe(1);
    expect(await pageWidth()).toBe(390);
    for (const control of [page.getByRole("button", { name: "Export" }), page.getByText("1-3 of 3")]) {
      const box = (await control.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    await shot(page, "phone-campaigns");

    // The Processr's jobs: each score readable in its field, the columns past it a scroll away.
    await page.goto("/#/campaigns/601/processr");
    const score = page.getByLabel("Score: Required Value Check");
    await poll(() => score.inputValue()).toBe("40");
    expect((await score.boundingBox())!.width).toBeGreaterThanOrEqual(40);
    const jobs = await scroller("QA jobs");
    expect(jobs.scrolls).toBeGreaterThan(jobs.shown);
    expect(await pageWidth()).toBe(390);
    await shot(page, "phone-processr");
    expect(errors).toEqual([]);
  });

  it("a campaign without leads says where leads come from, and offers no Create that nobody could use", async () => {
    const base = demo.ent.urls.acme;
    for (const [user, text] of [
      [ACME_ADMIN, "Leads arrive from publishers through the publisher API and the campaign webhook, and appear here as they come in to this campaign."],
      [NORTHWIND, "Leads you post to this campaign through the publisher API appear here. Your API key and an example are under Tracking → API Credentials on each campaign."],
    ] as const) {
      const { page, errors } = await signInAs(demo.browser, base, ...user);
      await page.goto("/#/campaigns/602/leads");
      const none = page.getByRole("status", { name: "No leads" });
      await poll(() => none.count()).toBe(1);
      expect(await none.textContent()).toBe(`No leads yet${text}`);
      expect(await page.getByRole("link", { name: "Create" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Create" }).count()).toBe(0);
      await shot(page, `no-leads-${user[0].split("@")[0]}`);
      expect(errors).toEqual([]);
    }
    // Nor at a typed address: the generated create form of an operation the API does not have.
    const { page, errors } = await signInAs(demo.browser, base, ...ACME_ADMIN);
    await page.goto("/#/leads/create");
    await poll(() => page.getByText("Either you typed a wrong URL, or you followed a bad link.").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Save" }).count()).toBe(0);
    await shot(page, "leads-create-not-found");
    expect(errors).toEqual([]);
  });

  it("an HTTP integration that is enabled but not Active says nothing is delivered; a disabled one says so in its settings", async () => {
    const base = demo.ent.urls.acme;
    const token = await apiToken(base, ...ACME_ADMIN);
    const write = async (path: string, method: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/ld+json" }, body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return (await res.json()) as { "@id": string; id: number };
    };
    const job = await write("/api/v4/campaign-processr-jobs", "POST", {
      campaign: "/api/v4/campaigns/601", type: "http_integration", label: "Paused CRM feed",
      config: { name: "Paused CRM feed", method: "GET", url: "http://127.0.0.1:9/leads", active: false },
    });

    const { page, errors } = await signInAs(demo.browser, base, ...ACME_ADMIN);
    await openProcessr(page, 601);
    await page.getByRole("tab", { name: "Integration" }).click();
    const row = page.getByRole("row", { name: "Paused CRM feed" });
    expect(await row.getByLabel("Enabled: Paused CRM feed").isChecked()).toBe(true);
    await poll(() => row.getByRole("note", { name: "Inactive: Paused CRM feed" }).textContent()).toBe("Active is off in its settings: nothing is delivered");
    await shot(page, "processr-inactive-integration");

    await write(job["@id"], "PUT", { enabled: false, config: { name: "Paused CRM feed", method: "GET", url: "http://127.0.0.1:9/leads", active: true } });
    await page.reload();
    await page.getByRole("tab", { name: "Integration" }).click();
    await poll(() => page.getByRole("row", { name: "Paused CRM feed" }).count()).toBe(1);
    expect(await page.getByRole("row", { name: "Paused CRM feed" }).getByRole("note").count()).toBe(0);
    await page.getByRole("row", { name: "Paused CRM feed" }).getByRole("button", { name: "Configure" }).click();
    const dialog = page.getByRole("dialog", { name: "HTTP Integration" });
    await poll(() => dialog.getByRole("alert").filter({ hasText: "disabled in the campaign's Processr list" }).count()).toBe(1);
    expect(await dialog.getByLabel("Active", { exact: true }).isChecked()).toBe(true);
    await shot(page, "http-integration-disabled-job");
    expect(errors).toEqual([]);
  });
});
