// `node scripts/screenshots.mjs [name…]`: the README's console screenshots (docs/screenshots/*.png,
// 1280×800) taken in headless Chromium against both demo enterprises on their
// own ports (test/e2e/harness.ts), with fresh demo state. Needs the built console (`npm run build:admin`).
// With names, only those screens are taken again.
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startEnterprises } from "../test/e2e/harness.ts";
import { DEMO_ADMINS, launchChromium, signInConsole } from "./lib/chromium.mjs";
import { ROOT } from "./lib/enterprise.mjs";

const OUT = join(ROOT, "docs/screenshots");
const PORTS = { acme: 28795, agency: 28796, inspectorPort: 29295 };
const CRM_PORT = 28797;
/** Agency's publisher 5 on its campaign 701 (demo/enterprises.json). */
const AGENCY_CAPTURE = "/api/v2.4/publisher/5/forms/71/campaign/701/leads?linkId=81";
const AGENCY_API_KEY = "7e6d5c4b3a29180f7e6d5c4b3a291800";
/** The publisher user of Agency Partners (publisher 13) on acme's campaign 601. */
const PUBLISHER = ["api@agency-partners.test", "agency-partners-2026!"];
const log = (m) => console.error(`[screenshots] ${m}`);

/** Waits until no MUI progress indicator is on screen, so a shot never shows a half-loaded screen. */
async function settled(page) {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector(".MuiCircularProgress-root, .MuiLinearProgress-root, .MuiSkeleton-root"), undefined, { timeout: 30_000 });
}

/** A campaign's Processr screen, on its QA tab or on `tab`. */
async function openProcessr(page, campaignId, tab) {
  await page.goto(`/#/campaigns/${campaignId}/processr`);
  await page.getByRole("tab", { name: "Integration" }).waitFor({ timeout: 30_000 });
  if (tab) await page.getByRole("tab", { name: tab }).click();
}

async function choose(page, scope, label, option) {
  await scope.getByRole("combobox", { name: label }).click();
  await page.getByRole("listbox").getByRole("option", { name: option }).click();
}

/** A new HTTP integration on agency's campaign 701, named and pointed at the stand-in CRM. */
async function newHttpIntegration(page) {
  await openProcessr(page, 701, "Integration");
  await page.getByRole("button", { name: "Add Job" }).click();
  await choose(page, page.getByRole("dialog", { name: "Add Job" }), "Job type", "HTTP Integration");
  const dialog = page.getByRole("dialog", { name: "HTTP Integration" });
  await dialog.getByLabel("A: Name").fill("Vendor CRM");
  await dialog.getByLabel("B: API URL").fill(`http://127.0.0.1:${CRM_PORT}/leads`);
  return dialog;
}

/** Opens the HTTP integration's new-adaptor form and fills it in: lead field → key rows. */
async function fillNewAdaptor(dialog, rows) {
  await dialog.getByRole("button", { name: "New adaptor" }).click();
  const form = dialog.getByRole("group", { name: "New adaptor" });
  await form.getByLabel("Adaptor name").fill("Vendor CRM fields");
  for (const [i, [field, mappedTo]] of rows.entries()) {
    if (i > 0) await form.getByRole("button", { name: "Add adaptor row" }).click();
    await form.getByLabel(`Adaptor row ${i + 1} field`).fill(field);
    await form.getByLabel(`Adaptor row ${i + 1} mappedTo`).fill(mappedTo);
  }
  return form;
}

/** Each screen: which enterprise and user, and how to reach it from a signed-in dashboard. */
const SCREENS = [
  { name: "sign-in", enterprise: "acme", user: null, go: async (page) => {
    await page.goto("/");
    await page.getByLabel("Username").waitFor();
  } },
  { name: "dashboard", enterprise: "acme", go: async (page) => {
    // The demo's campaign with leads (603), so the chart has bars.
    await page.locator('tr[data-campaign="603"]').getByRole("button", { name: "Chart" }).click();
    await page.locator(".recharts-bar-rectangle").first().waitFor();
  } },
  { name: "campaigns-list", enterprise: "acme", go: async (page) => {
    await page.goto("/#/campaigns");
    await page.locator("tbody tr").first().waitFor();
  } },
  { name: "campaign-show", enterprise: "acme", go: async (page) => {
    await page.goto(`/#/campaigns/${encodeURIComponent("/api/v4/campaigns/601")}/show`);
    await page.getByRole("tab", { name: "Summary" }).waitFor();
  } },
  { name: "leads-list", enterprise: "acme", go: async (page) => {
    await page.goto("/#/campaigns/603/leads");
    await page.getByRole("button", { name: "View" }).first().waitFor();
  } },
  { name: "lead-dialog", enterprise: "acme", go: async (page) => {
    await page.goto("/#/campaigns/603/leads");
    await page.getByRole("button", { name: "View" }).first().click();
    await page.getByRole("dialog", { name: /^Lead Data/ }).getByLabel("Lead profile").waitFor();
  } },
  { name: "processr", enterprise: "acme", go: async (page) => {
    await openProcessr(page, 601);
    await page.locator("tr[data-job]").first().waitFor();
  } },
  { name: "connect-setup", enterprise: "agency", go: async (page) => {
    await openProcessr(page, 701, "Integration");
    await page.getByRole("row", { name: "Convertr Connect: Acme" }).getByRole("button", { name: "Configure" }).click();
    await page.getByTestId("sync-tags-state").waitFor();
    // The mapping table (the client form's fields, ours on the right) below the credentials.
    await page.getByRole("table", { name: "Mapping" }).scrollIntoViewIfNeeded();
  } },
  { name: "http-integration-adaptor", enterprise: "agency", go: async (page) => {
    const dialog = await newHttpIntegration(page);
    // The adaptor picker (required with POST) with the new-adaptor form open, two rows filled in.
    const form = await fillNewAdaptor(dialog, [["firstName", "first_name"], ["emailAddress", "email"]]);
    await form.scrollIntoViewIfNeeded();
  } },
  { name: "http-integration", enterprise: "agency", go: async (page, baseURL) => {
    // A lead for the Test section to fill in (the demo has none on agency's campaign 701).
    const captured = await fetch(`${baseURL}${AGENCY_CAPTURE}`, {
      method: "POST",
      headers: { "X-Api-Key": AGENCY_API_KEY, "Content-Type": "application/x-www-form-urlencoded" },
      body: "form[firstName]=Alan&form[surname]=Turing&form[emailAddress]=alan.turing%40example.org",
    });
    if (captured.status !== 201) throw new Error(`capture at agency: ${captured.status} ${await captured.text()}`);
    const dialog = await newHttpIntegration(page);
    // E and F keep their defaults (POST, JSON); a POST needs an adaptor, created here.
    await dialog.getByLabel("I: Response Key").fill("lead_id");
    const form = await fillNewAdaptor(dialog, [["firstName", "first_name"], ["surname", "last_name"], ["emailAddress", "email"]]);
    await form.getByRole("button", { name: "Create adaptor" }).click();
    await dialog.getByTestId("adaptor-summary").waitFor();
    await dialog.getByRole("button", { name: "Save HTTP Integration" }).click();
    await dialog.getByRole("heading", { name: "Test HTTP Integration" }).waitFor();
    await dialog.getByRole("button", { name: "Test HTTP Integration" }).click();
    await dialog.getByText(/^Check result on the Logs tab/).waitFor();
    await dialog.getByRole("tab", { name: "Logs" }).click();
    await dialog.getByRole("table", { name: "Integration logs" }).locator("td[data-column=result]").first().waitFor();
  } },
  { name: "publisher-api-credentials", enterprise: "acme", user: PUBLISHER, go: async (page) => {
    await page.goto("/#/campaigns");
    await page.locator("tbody tr").first().getByRole("button", { name: "Tracking" }).click();
    await page.getByRole("dialog", { name: /^Tracking Information/ }).getByLabel("curl example", { exact: true }).waitFor();
  } },
];

async function main() {
  const only = new Set(process.argv.slice(2));
  const screens = SCREENS.filter((s) => !only.size || only.has(s.name));
  mkdirSync(OUT, { recursive: true });
  // The HTTP integration's test call goes to this stand-in CRM, which accepts every lead.
  let calls = 0;
  const crm = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ success: true, lead_id: `CRM-${++calls}` })));
  }).listen(CRM_PORT, "127.0.0.1");
  log("starting the demo pair (test/e2e/harness.ts)");
  const ent = await startEnterprises({ ...PORTS, vars: { ALLOW_PRIVATE_OUTBOUND: "true" } });
  const browser = await launchChromium();
  try {
    for (const s of screens) {
      const context = await browser.newContext({ baseURL: ent.urls[s.enterprise], viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      try {
        if (s.user !== null) await signInConsole(page, s.user ?? DEMO_ADMINS[s.enterprise]);
        await s.go(page, ent.urls[s.enterprise]);
        await settled(page);
        await page.screenshot({ path: join(OUT, `${s.name}.png`) });
        log(`${s.name}.png`);
      } catch (e) {
        // What the screen showed instead, for a person to look at (test-results/ is not committed).
        await page.screenshot({ path: join(ROOT, `test-results/screenshots-failed-${s.name}.png`) }).catch(() => {});
        log(`${s.name}: not taken (${e.message.split("\n")[0]})`);
        process.exitCode = 1;
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await ent.stop();
    crm.close();
  }
}

await main();
