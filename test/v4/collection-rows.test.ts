import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { archiveOldLeads } from "../../src/archive/archive-job";
import { resources } from "../../src/routes/v4/resources";
import { DAY } from "../archive/helpers";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { cleanData, insertLead, processLeads } from "../leads/fixtures";
import { addLeads } from "./fixtures";

// A collection reads its rows as one JSON array per row (src/hydra/resource.ts rowReader), while an
// item is read by drizzle as usual. Both must give the same bytes: every member of a page is, byte
// for byte, its item's body without "@context", and the page is exactly what JSON.stringify gives
// for its own structure (key order, escaping, numbers).

const NOW = Date.now();
const ARCHIVED_EMAIL = `archived.${NOW}@example.org`;
let admin: Record<string, string>;
let north: Record<string, string>;

beforeAll(async () => {
  await addLeads();
  admin = bearer(await loginAs(DEMO.admin));
  north = bearer(await loginAs(DEMO.northwind));
  // Campaign 601 in USD (rate 0.79), so that base-currency amounts differ from the payouts; a
  // lead note; a processed lead (job results, flags, scores); one lead in D1 and one archived with
  // the same email (the email lookup appends archived leads, "archived": true).
  await env.DB.batch([
    env.DB.prepare(`UPDATE campaigns SET currency_id = 2, archive_after_days = 300 WHERE id = 601`),
    env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note) VALUES (53101, 'admin@acme.test', 'Said "call me" \\ later.')`),
  ]);
  const archived = await insertLead({ createdTs: NOW - 400 * DAY, data: { ...cleanData(), email: ARCHIVED_EMAIL } });
  await processLeads(archived);
  await archiveOldLeads(env, { now: NOW });
  const hot = await insertLead({ data: { ...cleanData(), email: ARCHIVED_EMAIL, firstName: "Zoë \u2028 <tab>\t" } });
  await processLeads(hot);
});

async function expectPageEqualsItems(url: string, headers: Record<string, string>) {
  const res = await call(url, { headers });
  expect(res.status, url).toBe(200);
  const text = await res.text();
  const page = JSON.parse(text) as { "hydra:member": { "@id": string }[] };
  const items = [];
  for (const member of page["hydra:member"]) {
    const item = await call(member["@id"], { headers });
    expect(item.status, member["@id"]).toBe(200);
    const { "@context": _, ...body } = (await item.json()) as Record<string, unknown>;
    items.push(body);
  }
  expect(text, url).toBe(JSON.stringify({ ...page, "hydra:member": items }));
  return page;
}

describe("a collection page is byte-identical to its items serialised as objects", () => {
  const leadQueries = [
    "",
    "campaign.id=601",
    "campaign.id=601&order[id]=desc",
    "campaign.id=601&order[id]=desc&itemsPerPage=2&page=2",
    "itemsPerPage=3&page=2",
    "leadFlag.id=2",
    "leadFlag.id[]=1&leadFlag.id[]=3",
    "publisher.id=13",
    "createdTs[after]=2026-03-02&order[id]=desc",
    "email=ada@example.org",
    `email=${encodeURIComponent(ARCHIVED_EMAIL)}`,
    "campaign.id=999999",
  ];

  it.each(leadQueries)("GET /api/v4/leads?%s, as an admin and as a publisher user", async (qs) => {
    await expectPageEqualsItems(`/api/v4/leads?${qs}`, admin);
    await expectPageEqualsItems(`/api/v4/leads?${qs}`, north);
  });

  it("the pages exercise what they are meant to (currency, notes, job results, archived leads)", async () => {
    const page = (await expectPageEqualsItems(`/api/v4/leads?email=${encodeURIComponent(ARCHIVED_EMAIL)}`, admin)) as unknown as {
      "hydra:member": Record<string, unknown>[];
    };
    expect(page["hydra:member"].map((m) => m.archived ?? false)).toEqual([false, true]);
    expect(page["hydra:member"][0]!.leadProcessrJobs).not.toEqual([]);
    const usd = (await (await call("/api/v4/leads?publisher.id=13&order[id]=asc", { headers: admin })).json()) as { "hydra:member": Record<string, unknown>[] };
    expect(usd["hydra:member"][0]).toMatchObject({ id: 53101, advertiserPayout: "10.00", baseCurrencyAdvertiserPayout: "7.90", leadNotes: [expect.any(String)] });
  });

  it.each(resources.map((r) => r.path))("GET /api/v4/%s (first page of 10, as an admin)", async (path) => {
    await expectPageEqualsItems(`/api/v4/${path}?itemsPerPage=10`, admin);
  });
});
