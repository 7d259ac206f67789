// Debian's chromium driven by playwright-core (no browser is downloaded at install time), for the
// console's browser tests, its time-to-interactive bench and the README screenshots.
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** The administrators the demo enterprises are loaded with (demo/enterprises.json). */
export const DEMO_ADMINS = {
  acme: ["admin@acme.test", "acme-admin-2026!"],
  agency: ["admin@agency.test", "agency-admin-2026!"],
};

/** Signs in on the console's sign-in screen (no MFA for the demo admins) and waits for the dashboard. */
export async function signInConsole(page, [username, password]) {
  await page.goto("/");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Lead statistics chronology" }).waitFor({ timeout: 60_000 });
}
