// Shared by the Processr and integrations browser tests: signing in on one enterprise's console,
// polling what the screen shows, and MUI's select (a combobox that opens a listbox).
import type { Browser, Locator, Page, ViewportSize as Viewport } from "playwright-core";
import { expect } from "vitest";
import { newPage } from "./browser";

/** Polls what the screen shows: writes refetch what they change, which takes a moment on a busy machine. */
export const poll = <T>(read: () => T | Promise<T>, timeout = 30_000) => expect.poll(read, { timeout, interval: 200 });

export async function signInAs(browser: Browser, baseURL: string, username: string, password: string, viewport?: Viewport) {
  const opened = await newPage(browser, baseURL, viewport);
  const { page } = opened;
  await page.goto("/");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible()).toBe(true);
  return opened;
}

/** Picks `option` in the MUI select labelled `label` inside `scope`. */
export async function choose(page: Page, scope: Locator, label: string | RegExp, option: string | RegExp) {
  await scope.getByRole("combobox", { name: label }).click();
  await page.getByRole("listbox").getByRole("option", { name: option }).click();
  await poll(() => page.getByRole("listbox").count()).toBe(0);
}

/** The campaign's Processr screen, reached from the campaign's page. */
export async function openProcessr(page: Page, campaignId: number) {
  await page.goto(`/#/campaigns/${encodeURIComponent(`/api/v4/campaigns/${campaignId}`)}/show`);
  await page.getByRole("link", { name: "Processr" }).click();
  await poll(() => page.url()).toMatch(new RegExp(`#/campaigns/${campaignId}/processr`));
  await poll(() => page.getByRole("row").filter({ hasText: "Loading…" }).count()).toBe(0);
}
