// The Processr screen in a real browser against the demo (acme campaign 601): jobs in stage order
// with their result counts as the API gives them, Add Job through the form generated from the job
// type's config schema (and the API's own error when the values break it), enable/disable,
// score and hardfail written at once, and the job groups the jobs are in.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Enterprises, startEnterprises } from "../e2e/harness";
import { apiGet, apiToken, launchBrowser, shot } from "./browser";
import { choose, openProcessr, poll, signInAs } from "./processr-console";

let ent: Enterprises;
let browser: Browser;
let base: string;
let token: string;
const ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;

interface Job {
  id: number;
  label: string;
  type: string;
  position: number;
  score: number;
  hardfail: boolean;
  enabled: boolean;
  config: Record<string, unknown>;
}
interface Collection<T> {
  "hydra:member": T[];
  "hydra:totalItems": number;
}

const jobs = async () => (await apiGet<Collection<Job>>(base, token, "/api/v4/campaign-processr-jobs?campaign.id=601&itemsPerPage=100"))["hydra:member"];
const count = async (jobId: number, status?: string) =>
  (await apiGet<Collection<unknown>>(base, token, `/api/v4/processr-job-leads?campaignProcessrJob.id=${jobId}${status ? `&status=${status}` : ""}`))["hydra:totalItems"];

beforeAll(async () => {
  ent = await startEnterprises();
  base = ent.urls.acme;
  browser = await launchBrowser();
  token = await apiToken(base, ...ADMIN);
  // Two leads with one email, processed by the real Processr: the second fails the duplicate email check.
  for (const form of [{ firstName: "Ada", lastName: "Lovelace", email: "ada.p@example.org" }, { firstName: "Ada", lastName: "King", email: "ada.p@example.org" }]) {
    const res = await fetch(`${base}/api/v2.4/publisher/12/forms/35/campaign/601/leads`, {
      method: "POST",
      headers: { "X-Api-Key": "0c463164f0d4fcb604d8fd9f80737476", "Content-Type": "application/json" },
      body: JSON.stringify({ form: { ...form, submit: true } }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }
  await vi.waitFor(async () => expect(await count(9002)).toBe(2), { timeout: 60_000, interval: 500 });
}, 360_000); // two enterprises start, which on a busy machine takes minutes

afterAll(async () => {
  await browser?.close();
  await ent?.stop();
});

const row = (page: Page, label: string) => page.getByRole("row", { name: label, exact: true });
const stat = (page: Page, label: string, key: string) => row(page, label).locator(`[data-stat=${key}]`);

describe("Processr (admin)", () => {
  it("lists the campaign's jobs in stage order with total, passed and failed from the API", async () => {
    const { page, errors } = await signInAs(browser, base, ...ADMIN);
    await openProcessr(page, 601);
    const api = (await jobs()).filter((j) => !j.type.includes("integration") && j.type !== "convertr_connect").sort((a, b) => a.position - b.position);
    await poll(() => page.getByRole("table", { name: "QA jobs" }).locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("aria-label"))))
      .toEqual(api.map((j) => j.label));
    const duplicate = api.find((j) => j.id === 9002)!;
    await poll(() => stat(page, duplicate.label, "total").textContent()).toBe(String(await count(9002)));
    expect(await stat(page, duplicate.label, "passed").textContent()).toBe(String(await count(9002, "passed")));
    expect(await stat(page, duplicate.label, "failed").textContent()).toBe(String(await count(9002, "failed")));
    expect(await count(9002, "failed")).toBe(1);
    await shot(page, "processr-jobs");
    expect(errors).toEqual([]);
  });

  it("adds a job through the form generated from its config schema, shows the API's error for a bad value, and edits its settings", async () => {
    const { page, errors } = await signInAs(browser, base, ...ADMIN);
    await openProcessr(page, 601);
    await page.getByRole("button", { name: "Add Job" }).click();
    const dialog = page.getByRole("dialog", { name: "Add Job" });
    await choose(page, dialog, "Job type", "Vowel Check");
    // The schema's properties and defaults, as generated controls.
    await poll(() => dialog.getByLabel("Fields").inputValue()).toBe("firstName, lastName");
    expect(await dialog.getByLabel("Min Letters").inputValue()).toBe("3");
    await dialog.getByLabel("Label").fill("Vowels in names");
    await dialog.getByLabel("Min Letters").fill("0");
    await dialog.getByRole("button", { name: "Save" }).click();
    await poll(() => dialog.getByRole("alert").textContent()).toMatch(/^config\.minLetters: /);
    expect((await jobs()).some((j) => j.label === "Vowels in names")).toBe(false);
    await shot(page, "processr-add-job-error");

    await dialog.getByLabel("Min Letters").fill("4");
    await dialog.getByLabel("Fields").fill("firstName, lastName, city");
    await shot(page, "processr-add-job");
    await dialog.getByRole("button", { name: "Save" }).click();
    await poll(() => dialog.count()).toBe(0);
    await poll(() => row(page, "Vowels in names").count()).toBe(1);
    const added = (await jobs()).find((j) => j.label === "Vowels in names")!;
    expect(added).toMatchObject({ type: "vowel_check", config: { fields: ["firstName", "lastName", "city"], minLetters: 4 } });

    // Its settings open with the saved values, and a change is written back.
    await row(page, "Vowels in names").getByRole("button", { name: "Configure" }).click();
    const settings = page.getByRole("dialog", { name: "Vowels in names" });
    await poll(() => settings.getByLabel("Min Letters").inputValue()).toBe("4");
    expect(await settings.getByLabel("Fields").inputValue()).toBe("firstName, lastName, city");
    await settings.getByLabel("Min Letters").fill("5");
    await settings.getByRole("button", { name: "Save" }).click();
    await poll(() => settings.count()).toBe(0);
    expect((await jobs()).find((j) => j.id === added.id)!.config).toMatchObject({ minLetters: 5 });
    expect(errors).toEqual([]);
  });

  it("enables and disables a job, sets its score and hardfail, each written at once", async () => {
    const { page, errors } = await signInAs(browser, base, ...ADMIN);
    await openProcessr(page, 601);
    const label = (await jobs()).find((j) => j.id === 9003)!.label;
    await page.getByLabel(`Enabled: ${label}`).click();
    await poll(async () => (await jobs()).find((j) => j.id === 9003)!.enabled).toBe(false);
    await page.getByLabel(`Hardfail: ${label}`).click();
    await poll(async () => (await jobs()).find((j) => j.id === 9003)!.hardfail).toBe(true);
    await page.getByLabel(`Score: ${label}`).fill("25");
    await page.getByLabel(`Score: ${label}`).press("Enter");
    await poll(async () => (await jobs()).find((j) => j.id === 9003)!.score).toBe(25);
    // A score the API refuses: its message, and the score unchanged.
    await page.getByLabel(`Score: ${label}`).fill("5000");
    await page.getByLabel(`Score: ${label}`).press("Enter");
    await poll(() => row(page, label).getByRole("alert").textContent()).toMatch(/score/);
    expect((await jobs()).find((j) => j.id === 9003)!.score).toBe(25);
    expect(await page.getByLabel(`Enabled: ${label}`).isChecked()).toBe(false);
    await shot(page, "processr-job-switches");
    expect(errors).toEqual([]);
  });

  it("shows each grouped job's group, the group's score and the job's conditions", async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/ld+json" },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as { "@id": string };
    };
    const group = await post("/api/v4/campaign-processr-job-groups", { campaign: "/api/v4/campaigns/601", name: "Name checks", score: 12 });
    await post("/api/v4/campaign-processr-job-group-jobs", {
      campaignProcessrJobGroup: group["@id"], campaignProcessrJob: "/api/v4/campaign-processr-jobs/9004", conditions: [{ field: "country", values: "UK;GB" }],
    });
    await post("/api/v4/campaign-processr-job-group-jobs", { campaignProcessrJobGroup: group["@id"], campaignProcessrJob: "/api/v4/campaign-processr-jobs/9005", position: 1 });
    const { page, errors } = await signInAs(browser, base, ...ADMIN);
    await openProcessr(page, 601);
    const label = async (id: number) => (await jobs()).find((j) => j.id === id)!.label;
    const note = async (id: number) => row(page, await label(id)).getByLabel(`Job group of ${await label(id)}`).textContent();
    await poll(() => note(9004)).toBe("Group “Name checks” (score 12, counted instead of the job's), position 0: country is UK or GB");
    expect(await note(9005)).toBe("Group “Name checks” (score 12, counted instead of the job's), position 1: no conditions (matches every lead)");
    expect(await row(page, await label(9001)).locator("[data-job-group]").count()).toBe(0);
    await shot(page, "processr-job-groups");
    expect(errors).toEqual([]);
  });
});
