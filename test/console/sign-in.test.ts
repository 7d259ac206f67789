// The console's sign-in screen in a real browser against both demo enterprises: password, the SMS
// code step, wrong credentials and codes, sign out, refresh before expiry, forgotten and expired
// passwords.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { latestCode, newPage, shot, useDemo } from "./browser";

const demo = useDemo();

async function fillPassword(page: Page, username: string, password: string) {
  await page.goto("/");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const session = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem("leadflare.session") ?? "null"));

describe("sign in", () => {
  it("signs in with the SMS code step and signs out", async () => {
    const { page, errors } = await newPage(demo.browser, demo.ent.urls.acme);
    await page.goto("/");
    await shot(page, "sign-in");
    await fillPassword(page, "mfa@acme.test", "acme-mfa-2026!");
    await expect.poll(() => page.getByRole("heading", { name: "Security code" }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole("button", { name: "Verify" }).isEnabled()).toBe(true);
    await shot(page, "sign-in-mfa");

    // A wrong code: the API's message, and still on the code step.
    await page.getByLabel("SMS code").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Invalid MFA code");

    await page.getByLabel("SMS code").fill(await latestCode(demo.ent.urls.acme, "+447700900168", 6));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible(), { timeout: 20_000 }).toBe(true);
    expect((await session(page)).username).toBe("mfa@acme.test");

    await page.getByRole("button", { name: "Profile" }).click();
    await page.getByRole("menuitem", { name: "Logout" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Sign in" }).isVisible()).toBe(true);
    expect(await session(page)).toBeNull();
    expect(errors).toEqual([]);
  });

  it("shows the API's message for a wrong password and stays signed out", async () => {
    const { page } = await newPage(demo.browser, demo.ent.urls.agency);
    await fillPassword(page, "admin@agency.test", "not-the-password");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Invalid username and password combination");
    await shot(page, "sign-in-error");
    expect(await session(page)).toBeNull();
  });

  it("refreshes the access token before it expires", async () => {
    const { page } = await newPage(demo.browser, demo.ent.urls.agency);
    await fillPassword(page, "admin@agency.test", "agency-admin-2026!");
    await expect.poll(() => page.getByRole("heading", { name: "Campaigns" }).first().isVisible(), { timeout: 20_000 }).toBe(true);
    const before = await session(page);
    // One minute left: the next API call must first trade the refresh token for a new pair.
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem("leadflare.session")!);
      localStorage.setItem("leadflare.session", JSON.stringify({ ...s, expiresAt: Date.now() + 60_000 }));
    });
    const refreshed = page.waitForResponse((r) => r.url().endsWith("/api/login") && (r.request().postData() ?? "").includes("refresh_token"));
    await page.getByRole("menuitem", { name: "Campaigns" }).click();
    expect((await refreshed).status()).toBe(200);
    // The page stores the new pair after reading the answer, a moment after the response arrives.
    await expect.poll(async () => (await session(page)).refreshToken).not.toBe(before.refreshToken);
    const after = await session(page);
    expect(after.expiresAt).toBeGreaterThan(Date.now() + 30 * 60_000);
    await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThan(0);
  });

  it("resets a forgotten password with the code sent to the user", async () => {
    const { page } = await newPage(demo.browser, demo.ent.urls.acme);
    await page.goto("/");
    await page.getByRole("button", { name: "Forgot password?" }).click();
    await page.getByLabel("Username").fill("api@northwind.test");
    await page.getByRole("button", { name: "Send a reset code" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Choose a new password" }).isVisible()).toBe(true);
    await shot(page, "password-reset");

    // A wrong code changes nothing and says so.
    await page.getByLabel("Reset code").fill("00000000");
    await page.getByLabel("New password", { exact: true }).fill("northwind-new-2026!");
    await page.getByLabel("Repeat the new password").fill("northwind-new-2026!");
    await page.getByRole("button", { name: "Set the new password" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The reset code is invalid or has expired");

    await page.getByLabel("Reset code").fill(await latestCode(demo.ent.urls.acme, "api@northwind.test", 8));
    await page.getByRole("button", { name: "Set the new password" }).click();
    await expect.poll(() => page.getByText("Password changed. Sign in with the new password.").isVisible()).toBe(true);

    await fillPassword(page, "api@northwind.test", "northwind-2026!");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Invalid username and password combination");
    await fillPassword(page, "api@northwind.test", "northwind-new-2026!");
    await expect.poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible(), { timeout: 20_000 }).toBe(true);
  });

  it("makes a user with an expired password change it before anything else", async () => {
    await demo.ent.query("acme", "UPDATE users SET password_expires_ts = 1 WHERE username = 'api@agency-partners.test'");
    const { page } = await newPage(demo.browser, demo.ent.urls.acme);
    await fillPassword(page, "api@agency-partners.test", "agency-partners-2026!");
    await expect.poll(() => page.getByRole("heading", { name: "Change your password" }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole("button", { name: "Change password" }).isEnabled()).toBe(true);
    await shot(page, "password-expired");
    // No session yet: the console itself stays closed.
    expect(await session(page)).toBeNull();

    await page.getByLabel("New password", { exact: true }).fill("short");
    await page.getByLabel("Repeat the new password").fill("short");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/newPassword|10/);

    await page.getByLabel("New password", { exact: true }).fill("partners-new-2026!");
    await page.getByLabel("Repeat the new password").fill("partners-new-2026!");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.getByText("Password changed. Sign in with the new password.").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible(), { timeout: 20_000 }).toBe(true);
  });
});
