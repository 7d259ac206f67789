// The console's Users and Publishers screens in a real browser against the demo: an admin creates
// a user (the API's own message for a bad password first), disables it (its sign-in then fails),
// resets its password (the old one stops working), changes its role; creates and renames a
// publisher. Every write shows without a reload.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiGet, apiToken, newPage, shot, useDemo } from "./browser";

const demo = useDemo();
const ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;
const NEW_USER = "lin@acme.test";
const FIRST_PASSWORD = "lin-first-password-2026";
const RESET_PASSWORD = "lin-reset-password-2026";
const SHORT_PASSWORD_MESSAGE = "The password must be at least 12 characters long.";

interface Collection<T> {
  "hydra:member": T[];
}
interface User {
  id: number;
  username: string;
  role: string;
  publisher: string | null;
  disabled: boolean;
}

const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 200 });
const base = () => demo.ent.urls.acme;

async function signIn(username: string, password: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await newPage(demo.browser, base());
  await opened.page.goto("/");
  await opened.page.getByLabel("Username").fill(username);
  await opened.page.getByLabel("Password", { exact: true }).fill(password);
  await opened.page.getByRole("button", { name: "Sign in" }).click();
  return opened;
}

async function signInAdmin() {
  const opened = await signIn(...ADMIN);
  await poll(() => opened.page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible()).toBe(true);
  return opened;
}

/** The status of POST /api/login for these credentials. */
const loginStatus = async (username: string, password: string) =>
  (await fetch(`${base()}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  })).status;

async function apiUser(): Promise<User> {
  const token = await apiToken(base(), ...ADMIN);
  const found = await apiGet<Collection<User>>(base(), token, `/api/v4/users?username=${encodeURIComponent(NEW_USER)}`);
  return found["hydra:member"][0]!;
}

const userRow = (page: Page) => page.locator("tbody tr", { hasText: NEW_USER });

async function openUsers(page: Page) {
  await page.getByRole("menuitem", { name: "Users", exact: true }).click();
  await poll(() => page.locator("tbody tr", { hasText: "admin@acme.test" }).count()).toBe(1);
}

describe("users (admin)", () => {
  it("creates a publisher user, showing the API's message for a short password, and the user can sign in", async () => {
    const { page, errors } = await signInAdmin();
    await openUsers(page);
    await shot(page, "users-list");
    await page.getByRole("link", { name: "Create" }).click();
    await page.getByLabel("Username (email)").fill(NEW_USER);
    await page.getByLabel("Name", { exact: true }).fill("Lin Publisher");
    await page.getByLabel("Publisher", { exact: true }).click();
    await page.getByRole("option", { name: "Northwind Media" }).click();
    await poll(() => page.getByText("At least 12 characters.").isVisible()).toBe(true);
    await page.getByLabel("Password", { exact: true }).fill("too-short");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.getByText(SHORT_PASSWORD_MESSAGE).first().isVisible()).toBe(true);
    await shot(page, "users-create-refused");
    expect(await loginStatus(NEW_USER, "too-short")).not.toBe(200);

    await page.getByLabel("Password", { exact: true }).fill(FIRST_PASSWORD);
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => userRow(page).count()).toBe(1);
    await poll(() => userRow(page).textContent()).toContain("Northwind Media");
    const user = await apiUser();
    expect(user).toMatchObject({ role: "publisher", publisher: "/api/v4/publishers/12", disabled: false });
    expect(await loginStatus(NEW_USER, FIRST_PASSWORD)).toBe(200);
    await shot(page, "users-created");
    expect(errors).toEqual([]);
  });

  it("disables the user: its sign-in fails with the API's message; enabling lets it in again", async () => {
    const { page, errors } = await signInAdmin();
    await openUsers(page);
    await userRow(page).getByRole("button", { name: `Disable ${NEW_USER}` }).click();
    await poll(() => userRow(page).getByRole("button", { name: `Enable ${NEW_USER}` }).isVisible()).toBe(true);
    expect((await apiUser()).disabled).toBe(true);
    await shot(page, "users-disabled");

    const refused = await signIn(NEW_USER, FIRST_PASSWORD);
    await poll(() => refused.page.getByRole("alert").textContent()).toContain("Invalid username and password combination");
    await shot(refused.page, "users-disabled-sign-in");

    await userRow(page).getByRole("button", { name: `Enable ${NEW_USER}` }).click();
    await poll(() => userRow(page).getByRole("button", { name: `Disable ${NEW_USER}` }).isVisible()).toBe(true);
    expect(await loginStatus(NEW_USER, FIRST_PASSWORD)).toBe(200);
    expect(errors).toEqual([]);
  });

  it("resets the password: the API's message for a short one, then the old password fails and the new one works", async () => {
    const { page, errors } = await signInAdmin();
    await openUsers(page);
    await userRow(page).getByRole("button", { name: `Reset password of ${NEW_USER}` }).click();
    const dialog = page.getByRole("dialog", { name: `Reset the password of ${NEW_USER}` });
    await poll(() => dialog.getByText("At least 12 characters.").isVisible()).toBe(true);
    await dialog.getByLabel("New password").fill("short");
    await dialog.getByRole("button", { name: "Set password" }).click();
    await poll(() => page.getByText(SHORT_PASSWORD_MESSAGE).first().isVisible()).toBe(true);
    expect(await loginStatus(NEW_USER, FIRST_PASSWORD)).toBe(200);

    await dialog.getByLabel("New password").fill(RESET_PASSWORD);
    await shot(page, "users-reset-password");
    await dialog.getByRole("button", { name: "Set password" }).click();
    await poll(() => dialog.isVisible()).toBe(false);
    await poll(() => page.getByText(`Password of ${NEW_USER} reset`).isVisible()).toBe(true);
    expect(await loginStatus(NEW_USER, FIRST_PASSWORD)).not.toBe(200);
    expect(await loginStatus(NEW_USER, RESET_PASSWORD)).toBe(200);
    expect(errors).toEqual([]);
  });

  it("makes the user an admin (it then belongs to no publisher)", async () => {
    const { page, errors } = await signInAdmin();
    await openUsers(page);
    await userRow(page).getByRole("link", { name: "Edit" }).click();
    await poll(() => page.getByLabel("Username (email)").inputValue()).toBe(NEW_USER);
    // The API ends the user's sessions on these changes: the form says so before saving.
    await poll(() => page.getByText("Changing it, or turning MFA on or off, ends the user's sessions.").isVisible()).toBe(true);
    expect(await page.getByText("Changing it ends the user's sessions.").count()).toBe(2);
    await shot(page, "users-edit");
    await page.getByLabel("Role", { exact: true }).click();
    await page.getByRole("option", { name: "Admin" }).click();
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => userRow(page).textContent()).toContain("admin");
    expect(await apiUser()).toMatchObject({ role: "admin", publisher: null });
    expect(errors).toEqual([]);
  });
});

describe("publishers (admin)", () => {
  it("creates a publisher (an empty name gets the API's message) and renames it", async () => {
    const { page, errors } = await signInAdmin();
    await page.getByRole("menuitem", { name: "Publishers", exact: true }).click();
    await poll(() => page.locator("tbody tr", { hasText: "Northwind Media" }).count()).toBe(1);
    await shot(page, "publishers-list");
    await page.getByRole("link", { name: "Create" }).click();
    // The list's own "Name" filter is on screen until the create page has replaced it.
    await poll(() => page.getByRole("button", { name: "Save" }).isVisible()).toBe(true);
    await page.getByLabel("Name", { exact: true }).fill("Contoso Leads");
    await page.getByRole("button", { name: "Save" }).click();
    const row = (name: string) => page.locator("tbody tr", { has: page.locator("td.column-name", { hasText: new RegExp(`^${name}$`) }) });
    await poll(() => row("Contoso Leads").count()).toBe(1);

    await row("Contoso Leads").click();
    await poll(() => page.getByLabel("Name", { exact: true }).inputValue()).toBe("Contoso Leads");
    await page.getByLabel("Name", { exact: true }).fill(" ");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.getByText("Too small: expected string to have >=1 characters").first().isVisible()).toBe(true);
    await shot(page, "publishers-edit-refused");
    await page.getByLabel("Name", { exact: true }).fill("Contoso Leads Ltd");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => row("Contoso Leads Ltd").count()).toBe(1);
    const token = await apiToken(base(), ...ADMIN);
    const found = await apiGet<Collection<{ name: string }>>(base(), token, "/api/v4/publishers?name=Contoso%20Leads%20Ltd");
    expect(found["hydra:member"]).toHaveLength(1);
    await shot(page, "publishers-renamed");
    expect(errors).toEqual([]);
  });
});
