import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { archiveOldLeads } from "../../src/archive/archive-job";
import { archiveKey, type ArchivedLead, decodeLeads, encodeLeads, gunzip, gzip } from "../../src/archive/format";
import { isoTs } from "../../src/hydra/format";
import { bearer, DEMO, loginAs } from "../helpers";
import { formBody, leadsPath, postForm } from "../publisher/support";
import { type Doc, get, send } from "../v4/fixtures";
import { makeOld, whereIs } from "../archive/helpers";
import { processLeads } from "./fixtures";

// A lead's values on its row (leads.data, src/leads/lead-data-block.ts), shown by the view
// lead_datas: what capture writes, ids by id, concurrent writes, the migration of lead_datas rows,
// archive files written before the change, and a Lead's values decoded from its row as the view shows them.

let admin: Record<string, string>;
let publisher: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
  publisher = bearer(await loginAs(DEMO.northwind));
});

async function capture(fields: Record<string, string>): Promise<number> {
  const res = await postForm(leadsPath(12, 35, 601), formBody(fields), publisher);
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

const values = async (leadId: number) => (await get(`/api/v4/lead-datas?lead.id=${leadId}&itemsPerPage=100`, admin)).body["hydra:member"] as Record<string, unknown>[];

const leadRow = (id: number) =>
  env.DB.prepare(`SELECT data_id, data, lead_hash, created_ts FROM leads WHERE id = ?1`).bind(id).first<{ data_id: number; data: string; lead_hash: string; created_ts: number }>();

describe("captured values", () => {
  it("are one column of the lead's row, numbered in capture order, and read back by every id", async () => {
    const a = await capture({ firstName: "Ada", lastName: "Lovelace", email: "ada.compact@example.org" });
    const b = await capture({ firstName: "Grace", lastName: "Hopper", email: "grace.compact@example.org" });
    const rowA = (await leadRow(a))!;
    const rowB = (await leadRow(b))!;
    expect(JSON.parse(rowA.data)).toEqual([["firstName", "Ada"], ["lastName", "Lovelace"], ["email", "ada.compact@example.org"], ["leadHash"]]);
    // No row per value: the four ids are a block, and the next lead's block follows it.
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM lead_data_ids WHERE lead_id IN (?1, ?2)`).bind(a, b).first("n")).toBe(0);
    expect(rowB.data_id).toBe(rowA.data_id + 4);

    const listed = await values(a);
    const created = isoTs(rowA.created_ts);
    expect(listed.map((d) => [d.id, d.name, d.value, d.type, d.createdTs, d.updatedTs])).toEqual([
      [rowA.data_id, "firstName", "Ada", "core.data", created, created],
      [rowA.data_id + 1, "lastName", "Lovelace", "core.data", created, created],
      [rowA.data_id + 2, "email", "ada.compact@example.org", "core.data", created, created],
      [rowA.data_id + 3, "leadHash", rowA.lead_hash, "system", created, created],
    ]);
    for (const d of [...listed, ...(await values(b))]) {
      const one = await get(`/api/v4/lead-datas/${d.id}`, admin);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id: d.id, lead: d.lead, name: d.name, value: d.value });
      expect((await get(`/api/v4/lead-datas?id=${d.id}`, admin)).body["hydra:member"]).toEqual([d]);
    }
    // An id past every block and row is no value.
    expect((await get(`/api/v4/lead-datas/${rowB.data_id + 4}`, admin)).status).toBe(404);
    // The lead embeds its stored values (after the platform's computed ones).
    const embedded = ((await get(`/api/v4/leads/${a}`, admin)).body.leadData as Record<string, unknown>[]).filter((d) => "@id" in d);
    expect(embedded.map((d) => [d["@id"], d.name, d.value])).toEqual(listed.map((d) => [`/api/v4/lead-datas/${d.id}`, d.name, d.value]));
  });

  it("a value added later takes the next id, after every block; an edit keeps its id; a delete keeps the others' ids", async () => {
    const a = await capture({ firstName: "Alan", lastName: "Turing", email: "alan.compact@example.org" });
    const before = await values(a);
    const lastBlockId = await env.DB.prepare(`SELECT max(data_id + json_array_length(data) - 1) AS n FROM leads`).first<number>("n");
    const added = await send("/api/v4/lead-datas", "POST", { lead: a, name: "jobTitle", value: "Mathematician" }, admin);
    expect(added.status).toBe(201);
    expect(added.body.id).toBe(lastBlockId! + 1);
    expect((await get(`/api/v4/lead-datas/${added.body.id}`, admin)).body).toMatchObject({ name: "jobTitle", value: "Mathematician", lead: `/api/v4/leads/${a}` });

    const edited = await send("/api/v4/lead-datas", "POST", { lead: a, name: "lastName", value: "Turing OBE" }, admin);
    expect(edited.body.id).toBe(before[1]!.id);
    // Deleting a captured value (as a value transform's lapsed result is) leaves the ids after it.
    await env.DB.prepare(`DELETE FROM lead_datas WHERE lead_id = ?1 AND name = 'firstName'`).bind(a).run();
    const after = await values(a);
    expect(after.map((d) => [d.id, d.name, d.value])).toEqual([
      [before[1]!.id, "lastName", "Turing OBE"],
      [before[2]!.id, "email", "alan.compact@example.org"],
      [before[3]!.id, "leadHash", before[3]!.value],
      [added.body.id, "jobTitle", "Mathematician"],
    ]);
    await env.DB.prepare(`DELETE FROM lead_datas WHERE id = ?1`).bind(added.body.id).run();
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM lead_data_ids WHERE lead_id = ?1`).bind(a).first("n")).toBe(0);
    expect((await values(a)).map((d) => d.id)).toEqual([before[1]!.id, before[2]!.id, before[3]!.id]);
  });

  it("a name the lead has cannot be inserted twice, as with the table's unique index", async () => {
    const a = await capture({ firstName: "Edsger", lastName: "Dijkstra", email: "edsger.compact@example.org" });
    await expect(env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value) VALUES (?1, 'firstName', 'x')`).bind(a).run()).rejects.toThrow(/UNIQUE/);
    expect((await values(a)).find((d) => d.name === "firstName")!.value).toBe("Edsger");
    // Rows inserted by one statement take ids one after another.
    await env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value) VALUES (?1, 'x1', '1'), (?1, 'x2', '2')`).bind(a).run();
    const [x1, x2] = (await values(a)).filter((d) => String(d.name).startsWith("x")).map((d) => d.id as number);
    expect(x2).toBe(x1! + 1);
  });

  it("concurrent writes to one lead's values all land", async () => {
    const a = await capture({ firstName: "Barbara", lastName: "Liskov", email: "barbara.compact@example.org" });
    const writes = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => send("/api/v4/lead-datas", "POST", { lead: a, name: `extra${i}`, value: `v${i}` }, admin)),
      send("/api/v4/lead-datas", "POST", { lead: a, name: "firstName", value: "Barbara J." }, admin),
      send("/api/v4/lead-datas", "POST", { lead: a, name: "lastName", value: "Liskov (MIT)" }, admin),
    ]);
    expect(writes.map((w) => w.status)).toEqual(writes.map(() => 201));
    const listed = await values(a);
    const byName = new Map(listed.map((d) => [d.name, d]));
    for (let i = 0; i < 12; i++) expect(byName.get(`extra${i}`)!.value).toBe(`v${i}`);
    expect(byName.get("firstName")!.value).toBe("Barbara J.");
    expect(byName.get("lastName")!.value).toBe("Liskov (MIT)");
    expect(new Set(listed.map((d) => d.id)).size).toBe(listed.length);
    expect(listed).toHaveLength(16);
    // Each answer names the id its value has.
    for (const w of writes) expect(byName.get(w.body.name)!.id).toBe(w.body.id);
  });
});

describe("ids without sqlite_sequence", () => {
  it("go on past every block when the sequence has no entry (a database imported without it)", async () => {
    const a = await capture({ firstName: "Hedy", lastName: "Lamarr", email: "hedy.compact@example.org" });
    await env.DB.prepare(`DELETE FROM sqlite_sequence WHERE name = 'lead_data_ids'`).run();
    const b = await capture({ firstName: "Frances", lastName: "Allen", email: "frances.compact@example.org" });
    const blockB = (await leadRow(b))!.data_id;
    expect(blockB).toBe((await leadRow(a))!.data_id + 4);
    const added = await send("/api/v4/lead-datas", "POST", { lead: a, name: "jobTitle", value: "Inventor" }, admin);
    expect(added.body.id).toBe(blockB + 4);
    const c = await capture({ firstName: "Radia", lastName: "Perlman", email: "radia.compact@example.org" });
    expect((await leadRow(c))!.data_id).toBe(added.body.id + 1);
    const ids = [a, b, c].map(async (id) => (await values(id)).map((d) => d.id));
    const all = (await Promise.all(ids)).flat();
    expect(new Set(all).size).toBe(all.length);
  });
});

describe("migration of lead_datas rows", () => {
  it("moves each lead's rows onto its row, ids, values, types and times kept; later ids go on from the old sequence", async () => {
    const lead = 53001;
    const hash = (await leadRow(lead))!.lead_hash;
    const created = (await leadRow(lead))!.created_ts;
    // The schema as it was: lead_datas a table, no data on leads.
    await env.DB.batch([
      env.DB.prepare(`DROP VIEW lead_datas`),
      env.DB.prepare(`DROP INDEX leads_data_id_idx`),
      env.DB.prepare(`UPDATE leads SET data = NULL, data_id = NULL`),
      env.DB.prepare(`DROP TABLE lead_data_ids`),
      env.DB.prepare(`DELETE FROM sqlite_sequence WHERE name = 'lead_data_ids'`),
      env.DB.prepare(`ALTER TABLE leads DROP COLUMN data`),
      env.DB.prepare(`ALTER TABLE leads DROP COLUMN data_id`),
      env.DB.prepare(
        "CREATE TABLE `lead_datas` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `lead_id` integer NOT NULL REFERENCES `leads`(`id`), `name` text NOT NULL, `value` text NOT NULL, `type` text DEFAULT 'core.data' NOT NULL, `created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL, `updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL)",
      ),
      env.DB.prepare("CREATE UNIQUE INDEX `lead_datas_lead_name_uq` ON `lead_datas` (`lead_id`,`name`)"),
    ]);
    // Captured in one statement (ids 101-104), an edit, and values added later among other leads' (a gap).
    const old: [number, number, string, string, string, number, number][] = [
      [101, lead, "firstName", "Ada", "core.data", created, created],
      [102, lead, "lastName", "Lovelace", "core.data", created, created + 5000],
      [103, lead, "email", "ada@example.org", "core.data", created, created],
      [104, lead, "leadHash", hash, "system", created, created],
      [105, 53002, "firstName", "Grace", "core.data", created, created],
      [107, lead, "jobTitle", "Countess", "core.data", created + 9000, created + 9500],
      [109, lead, "tier", "gold", "value_transform", created + 9000, created + 9000],
    ];
    await env.DB.batch(old.map((r) => env.DB.prepare(`INSERT INTO lead_datas VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`).bind(...r)));
    // The sequence had moved past a value deleted since (id 110).
    await env.DB.prepare(`UPDATE sqlite_sequence SET seq = 110 WHERE name = 'lead_datas'`).run();
    const tableRows = (await env.DB.prepare(`SELECT * FROM lead_datas ORDER BY id`).all()).results;

    const migrations = env.TEST_MIGRATIONS.filter((m) => /_lead_data_on_leads\.sql$|_lead_datas_view\.sql$|_lead_value_ids_/.test(m.name));
    expect(migrations).toHaveLength(4);
    for (const m of migrations) for (const q of m.queries) await env.DB.prepare(q).run();

    expect((await env.DB.prepare(`SELECT * FROM lead_datas ORDER BY id`).all()).results).toEqual(tableRows);
    expect(JSON.parse((await leadRow(lead))!.data)).toEqual([
      ["firstName", "Ada"], ["lastName", "Lovelace", null, created + 5000], ["email", "ada@example.org"], ["leadHash"],
      ["jobTitle", "Countess", null, created + 9500, created + 9000, 107], ["tier", "gold", "value_transform", created + 9000, created + 9000, 109],
    ]);
    expect((await env.DB.prepare(`SELECT id, lead_id FROM lead_data_ids ORDER BY id`).all()).results).toEqual([{ id: 107, lead_id: lead }, { id: 109, lead_id: lead }]);
    for (const id of [101, 104, 105, 107, 109]) expect((await get(`/api/v4/lead-datas/${id}`, admin)).body.id).toBe(id);
    const added = await send("/api/v4/lead-datas", "POST", { lead: 53002, name: "jobTitle", value: "Rear Admiral" }, admin);
    expect(added.body.id).toBe(111);
  });
});

describe("archive files written before values moved onto the lead's row", () => {
  it("read and restore as before, every value with its id", async () => {
    const id = await capture({ firstName: "Katherine", lastName: "Johnson", email: "katherine.compact@example.org" });
    await processLeads(id);
    expect((await send("/api/v4/lead-datas", "POST", { lead: id, name: "jobTitle", value: "Mathematician" }, admin)).status).toBe(201);
    await makeOld([id]);
    const hot = (await get(`/api/v4/leads/${id}`, admin)).body;
    const hotValues = await values(id);
    while ((await archiveOldLeads(env, { maxBatches: 20 })).batches > 0);
    expect(await whereIs(id)).toBe("archive");

    // Rewrite the lead's file as the archive wrote it before: no data on the lead's row, no
    // lead_data_ids, the lead_datas table's rows.
    const batch = await env.DB.prepare(`SELECT b.id, b.campaign_id AS campaignId, b.month FROM archived_leads a JOIN archive_batches b ON b.id = a.batch_id WHERE a.id = ?1`)
      .bind(id).first<{ id: number; campaignId: number; month: string }>();
    const key = archiveKey(batch!);
    const leads = decodeLeads(await gunzip(await (await env.ARCHIVE.get(key))!.arrayBuffer()));
    const old = leads.map((l) => {
      const { data: _d, data_id: _i, ...lead } = l.rows.leads[0]!;
      const { lead_data_ids: _ids, ...rows } = l.rows;
      return { ...l, rows: { ...rows, leads: [lead] } } as unknown as ArchivedLead;
    });
    expect(JSON.stringify(old)).not.toContain("lead_data_ids");
    await env.ARCHIVE.put(key, await gzip(encodeLeads(old)));

    const archived = await get(`/api/v4/leads/${id}`, admin);
    expect(archived.body).toEqual({ ...hot, archived: true });
    // A write restores it: the values come back with their ids.
    expect((await send("/api/v4/lead-datas", "POST", { lead: id, name: "lastName", value: "Johnson (NASA)" }, admin)).status).toBe(201);
    expect(await whereIs(id)).toBe("d1");
    expect(await values(id)).toEqual(hotValues.map((d) => (d.name === "lastName" ? { ...d, value: "Johnson (NASA)", updatedTs: expect.any(String) } : d)));
    for (const d of hotValues) expect((await get(`/api/v4/lead-datas/${d.id}`, admin)).status).toBe(200);
  });
});

/** The lead's values as the view shows them, as the Lead embeds them. */
const viewValues = async (leadId: number) =>
  (await env.DB.prepare(`SELECT id, name, value FROM lead_datas WHERE lead_id = ?1 ORDER BY id`).bind(leadId).all<{ id: number; name: string; value: string }>()).results.map(
    (d) => ({ "@id": `/api/v4/lead-datas/${d.id}`, "@type": "LeadData", name: d.name, value: d.value }),
  );

const stored = (lead: Doc) => (lead.leadData as Doc[]).filter((d) => "@id" in d);

/** Each lead's stored values, on one page of them all and as an item, are the view's. */
async function expectViewValues(ids: number[]) {
  const page = await get(`/api/v4/leads?${ids.map((id) => `id[]=${id}`).join("&")}`, admin);
  expect(page.status).toBe(200);
  const members = new Map((page.body["hydra:member"] as Doc[]).map((m) => [m.id as number, m]));
  for (const id of ids) {
    const expected = await viewValues(id);
    expect(stored(members.get(id)!), `lead ${id} on the page`).toEqual(expected);
    expect(stored((await get(`/api/v4/leads/${id}`, admin)).body), `lead ${id} as an item`).toEqual(expected);
  }
}

// A Lead's stored values (its leadData entries with an @id) are decoded from its own row
// (leadValues), not read again through the view, which stays how SQL reads them. For leads whose
// values went through each kind of write, the page and the item show exactly the view's values.
describe("a Lead's embedded values, decoded from its row", () => {
  it("equal the view's after values are added later, edited and deleted, and after an erasure", async () => {
    const plain = await capture({ firstName: "Ada", lastName: "Lovelace", email: "ada.embedded@example.org" });
    const edited = await capture({ firstName: "Alan", lastName: "Turing", email: "alan.embedded@example.org" });
    // Values added later (their own ids, after every block), a captured value edited in place
    // (its updated time in its entry) and one deleted (a null entry: the ids after it stay).
    for (const [name, value] of [["jobTitle", "Mathematician"], ["lastName", "Turing OBE"], ["company", "NPL"]]) {
      expect((await send("/api/v4/lead-datas", "POST", { lead: edited, name, value }, admin)).status).toBeLessThan(300);
    }
    await env.DB.prepare(`DELETE FROM lead_datas WHERE lead_id = ?1 AND name = 'firstName'`).bind(edited).run();
    expect((await viewValues(edited)).map((d) => d.name)).toEqual(["lastName", "email", "leadHash", "jobTitle", "company"]);

    // Erasure rewrites every captured value (src/lists/erasure.ts).
    const erased = await capture({ firstName: "Hedwig", lastName: "Kiesler", email: "hedy.embedded@example.org" });
    const list = await send("/api/v4/validation-lists", "POST", { name: "Embedded values erasure", kind: "email", erasure: true }, admin);
    expect(list.status).toBe(201);
    const entry = await send("/api/v4/validation-list-entries", "POST", { validationList: list.body["@id"], value: "hedy.embedded@example.org" }, admin);
    expect(entry.status).toBe(201);
    expect((await viewValues(erased)).map((d) => d.value)).toContain("[erased]");

    await expectViewValues([plain, edited, erased]);
  });

  it("equal the view's for every entry the view reads: ids out of order, a null value or type, a deleted entry", async () => {
    const lead = await capture({ firstName: "Grace", lastName: "Hopper", email: "grace.embedded@example.org" });
    const first = (await leadRow(lead))!.data_id;
    // Written directly: entries no write path makes today, so that the decoder is held to the
    // view's rules (migrations/0035_lead_datas_view.sql) rather than to what writes happen to give.
    const far = 900_000_000 + lead * 10;
    const data = [
      ["firstName", "Grace", null, 5, 4],
      null,
      ["leadHash"],
      ["unset", null],
      ["late", "b", "custom.type", null, null, far + 2],
      ["early", "a", null, null, null, far + 1],
    ];
    await env.DB.prepare(`UPDATE leads SET data = ?2 WHERE id = ?1`).bind(lead, JSON.stringify(data)).run();
    const view = await viewValues(lead);
    expect(view.map((d) => d["@id"])).toEqual([first, first + 2, first + 3, far + 1, far + 2].map((id) => `/api/v4/lead-datas/${id}`));
    await expectViewValues([lead]);
  });

  it("of an archived lead are its file's, which are the view's when it was archived", async () => {
    const lead = await capture({ firstName: "Barbara", lastName: "Liskov", email: "barbara.embedded@example.org" });
    expect((await send("/api/v4/lead-datas", "POST", { lead, name: "jobTitle", value: "Professor" }, admin)).status).toBe(201);
    const before = await viewValues(lead);
    await env.DB.prepare(`UPDATE leads SET processr_status = 1000 WHERE id = ?1`).bind(lead).run();
    await makeOld([lead]);
    await archiveOldLeads(env, { maxBatches: 20 });
    expect(await whereIs(lead)).toBe("archive");
    const item = await get(`/api/v4/leads/${lead}`, admin);
    expect(item.status).toBe(200);
    expect(item.body.archived).toBe(true);
    expect(stored(item.body)).toEqual(before);
  });
});
