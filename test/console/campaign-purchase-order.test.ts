// The campaign screen's purchase order file in a real browser against the demo: an admin uploads a
// PDF on the Contract tab (the name shows, the API holds the bytes), downloads it back, is told the
// API's reason when a file is refused, and removes it; the Summary shows country and subcategory.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiToken, newPage, shot, SHOTS_DIR, useDemo } from "./browser";

const demo = useDemo();
const ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 200 });
const base = () => demo.ent.urls.acme;
const PDF = "%PDF-1.4\n% console purchase order\n%%EOF\n";

describe("Campaign purchase order file (admin)", () => {
  it("uploads, shows, downloads, refuses a wrong type with the API's message, and removes", async () => {
    const token = await apiToken(base(), ...ADMIN);
    const put = await fetch(`${base()}/api/v4/campaigns/601`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/ld+json" },
      body: JSON.stringify({ country: "/api/v4/countries/77", subcategory: "/api/v4/subcategories/1" }),
    });
    expect(put.status).toBe(200);

    const { page, errors } = await newPage(demo.browser, base());
    await page.goto("/");
    await page.getByLabel("Username").fill(ADMIN[0]);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN[1]);
    await page.getByRole("button", { name: "Sign in" }).click();
    await poll(() => page.getByRole("heading", { name: "Lead statistics chronology" }).isVisible()).toBe(true);
    await page.goto(`/#/campaigns/${encodeURIComponent("/api/v4/campaigns/601")}/show`);
    await poll(() => page.getByText("United Kingdom").isVisible()).toBe(true);
    await poll(() => page.getByText("Marketing").isVisible()).toBe(true);

    await page.getByRole("tab", { name: "Contract" }).click();
    await poll(() => page.getByRole("button", { name: "Upload" }).isVisible()).toBe(true);
    const pdfPath = join(SHOTS_DIR, "PO-601.pdf");
    writeFileSync(pdfPath, PDF);
    await page.getByLabel("Purchase order file").setInputFiles(pdfPath);
    await poll(() => page.getByText("PO-601.pdf").isVisible()).toBe(true);
    const stored = await fetch(`${base()}/api/v4/campaigns/601/purchase-order-file`, { headers: { Authorization: `Bearer ${token}` } });
    expect([stored.status, await stored.text()]).toEqual([200, PDF]);
    await shot(page, "campaign-purchase-order");

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download" }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe("PO-601.pdf");
    expect(readFileSync((await saved.path())!, "utf8")).toBe(PDF);

    const htmlPath = join(SHOTS_DIR, "not-a-po.html");
    writeFileSync(htmlPath, "<html></html>");
    await page.getByLabel("Purchase order file").setInputFiles(htmlPath);
    await poll(() => page.getByText(/is not accepted/).isVisible()).toBe(true);
    await poll(() => page.getByText("PO-601.pdf").isVisible()).toBe(true);

    await page.getByRole("button", { name: "Remove" }).click();
    await poll(() => page.getByRole("button", { name: "Upload" }).isVisible()).toBe(true);
    expect((await fetch(`${base()}/api/v4/campaigns/601/purchase-order-file`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(404);
    expect(errors).toEqual([]);
  });
});
