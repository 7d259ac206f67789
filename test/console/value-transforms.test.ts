// The console's advertiser value transforms in a real browser against the demo: a Transform is
// created on screen and its value table edited row by row and by CSV (a bad file lists its bad
// rows and writes nothing; "replace" makes the file the table), then exported; a Manipulation's
// settings follow its operation and reach the API with only that operation's fields.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { apiGet, apiToken, SHOTS_DIR, shot, useDemo } from "./browser";
import { signInAs } from "./processr-console";

const demo = useDemo();
const ADMIN = ["admin@acme.test", "acme-admin-2026!"] as const;

interface Collection<T> {
  "hydra:member": T[];
}
interface Rule {
  "@id": string;
  id: number;
  label: string;
  type: string;
  originalFieldName: string;
  newFieldName: string;
  manipulation: Record<string, unknown> | null;
}
interface Row {
  originalValue: string;
  newValue: string;
}

let base: string;
let token: string;
let advertiser: string;

const poll = <T>(read: () => T | Promise<T>, timeout = 30_000) => expect.poll(read, { timeout, interval: 250 });
const ruleLabelled = async (label: string) =>
  (await apiGet<Collection<Rule>>(base, token, "/api/v4/advertiser-value-transforms?itemsPerPage=100"))["hydra:member"].find((r) => r.label === label);
const table = async (rule: Rule) =>
  (await apiGet<Collection<Row>>(base, token, `/api/v4/advertiser-value-transform-values?advertiserValueTransform.id=${rule.id}&itemsPerPage=100`))[
    "hydra:member"
  ]
    .map((r) => `${r.originalValue}=${r.newValue}`)
    .sort();

beforeAll(async () => {
  base = demo.ent.urls.acme;
  token = await apiToken(base, ...ADMIN);
  advertiser = (await apiGet<{ name: string }>(base, token, "/api/v4/advertisers/319")).name;
}, 300_000);

const signIn = () => signInAs(demo.browser, base, ...ADMIN);

async function select(page: Page, label: string, option: string) {
  // A select's name is its label (" *" when required) and its value.
  await page.getByRole("combobox", { name: new RegExp(`^${label}\\b`) }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

async function newRule(page: Page, label: string, type: string, from: string, to: string) {
  await page.goto("/#/advertiser-value-transforms/create");
  await poll(() => page.getByRole("button", { name: "Save" }).isVisible()).toBe(true);
  await select(page, "Advertiser", advertiser);
  await page.getByLabel("Label").fill(label);
  await select(page, "Type", type);
  await page.getByLabel("Original field").fill(from);
  await page.getByLabel("New field").fill(to);
}

function csvFile(name: string, text: string): string {
  const path = join(SHOTS_DIR, name);
  writeFileSync(path, text);
  return path;
}

const tableRows = (page: Page) => page.locator("tbody tr td.column-originalValue").allTextContents();

describe("Advertiser value transforms (admin)", () => {
  it("creates a Transform and edits its value table by row and by CSV import (bad rows listed), then exports it", async () => {
    const { page, errors } = await signIn();
    await newRule(page, "Country codes", "Transform (value table)", "country", "countryCode");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.getByText("country → countryCode (value table)").isVisible()).toBe(true);
    const rule = (await ruleLabelled("Country codes"))!;
    expect(rule).toMatchObject({ type: "Transform", originalFieldName: "country", newFieldName: "countryCode", manipulation: null });

    await page.getByLabel("Original value").fill("United Kingdom");
    await page.getByLabel("New value").fill("GB");
    await page.getByRole("button", { name: "Add row" }).click();
    await poll(() => tableRows(page)).toEqual(["United Kingdom"]);

    await page.getByLabel("CSV file to import").setInputFiles(csvFile("bad-values.csv", "original value,new value\nFrance,FR\nGermany\nfrance,FR\n"));
    await poll(() => page.getByLabel("Import refused").locator("li").allTextContents()).toEqual([
      expect.stringMatching(/^Row 3: expected 2 columns/),
      expect.stringMatching(/^Row 4: "france" repeats row 2/),
    ]);
    await shot(page, "value-transform-import-refused");
    expect(await table(rule)).toEqual(["United Kingdom=GB"]);

    await select(page, "Import mode", "Replace (the file becomes the table)");
    await page.getByLabel("CSV file to import").setInputFiles(csvFile("values.csv", "original value,new value\nFrance,FR\nGermany,DE\n"));
    await poll(() => tableRows(page)).toEqual(["France", "Germany"]);
    expect(await table(rule)).toEqual(["France=FR", "Germany=DE"]);
    await shot(page, "value-transform");

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const lines = readFileSync((await (await download).path())!, "utf8").split(/\r?\n/).filter(Boolean);
    expect(lines.slice(1).sort()).toEqual(["France,FR", "Germany,DE"]);
    expect(errors).toEqual([]);
  });

  it("sends a Manipulation with only the chosen operation's settings", async () => {
    const { page, errors } = await signIn();
    await newRule(page, "Hashed email", "Manipulation (computed)", "email", "emailHash");
    // A first choice whose field is then left behind: only the last operation's fields are sent.
    await select(page, "Operation", "Change case");
    await select(page, "Case", "UPPER CASE");
    await select(page, "Operation", "Hash");
    await select(page, "Algorithm", "SHA-256");
    await shot(page, "value-transform-manipulation");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.getByText("email → emailHash (sha256 of the trimmed, lower-cased value)").isVisible()).toBe(true);
    expect((await ruleLabelled("Hashed email"))!.manipulation).toEqual({ operation: "hash", algorithm: "sha256", normalise: true });
    expect(errors).toEqual([]);
  });
});
