import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ERASE_BATCH, ERASED } from "../../src/lists/erasure";
import type { ProcessrMessage } from "../../src/processr/messages";
import { call } from "../helpers";
import { deliver, PROCESSR_QUEUE, rows } from "../leads/fixtures";
import { callWithQueue, fakeQueue, formBody, leadsPath } from "../publisher/support";
import { type Doc, get, send, tokens } from "./fixtures";

// GDPR erasure, black-box where it can be: leads captured through the publisher API and processed,
// then the person's email added to an erasure list through v4. Their personal values go (columns,
// captured data, and wherever the platform quoted them); ids, hashes, flags, scores and the
// campaign's statistics stay; each lead gets a note; adding the email again changes nothing.

let t: Awaited<ReturnType<typeof tokens>>;
let erasureList: Doc;
beforeAll(async () => {
  // The demo's simple form (35) with a telephone and a postcode as well.
  await env.DB.prepare(
    `INSERT INTO form_fields (form_id, name, type, position) VALUES (35, 'telephone', 'telephone', 10), (35, 'postcode', 'text', 11)`,
  ).run();
  t = await tokens();
  const res = await send("/api/v4/validation-lists", "POST", { name: "GDPR erasure requests", kind: "email", erasure: true }, t.admin);
  expect(res.status).toBe(201);
  erasureList = res.body;
});

const PERSON = { firstName: "Hedwig", lastName: "Kiesler", email: "Hedy.Lamarr@Example.org", telephone: "+44 20 7946 0123", postcode: "SW1A 2AA" };

/** Captures leads on campaign 601 (form 35) through the publisher API and processes them. */
async function captureAndProcess(people: Record<string, string>[]) {
  const q = fakeQueue();
  const ids: number[] = [];
  for (const p of people) {
    const res = await callWithQueue(q, leadsPath(12, 35, 601), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...t.north },
      body: formBody(p),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    ids.push(((await res.json()) as { data: number }).data);
  }
  await deliver(PROCESSR_QUEUE, q.sent as ProcessrMessage[]);
  return ids;
}

const addToErasureList = (value: string) =>
  send("/api/v4/validation-list-entries", "POST", { validationList: erasureList["@id"], value }, t.admin);

/** Everything of the leads' rows that erasure must keep. */
const kept = (ids: number[]) =>
  rows(
    `SELECT id, lead_hash, campaign_id, publisher_id, form_id, flag, qa_result, score, max_score, hardfail, processr_status,
            advertiser_billable, publisher_billable, advertiser_payout, publisher_payout, created_ts, deleted_ts, country
       FROM leads WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id`,
    JSON.stringify(ids),
  );
const stats = () => rows(`SELECT * FROM campaign_statistics WHERE campaign_id = 601`);
const erasureNotes = (id: number) =>
  rows<{ note: string; author: string }>(`SELECT note, author FROM lead_notes WHERE lead_id = ?1 AND note LIKE 'Personal data erased%'`, id);
/** Every text of a lead that could quote its values. */
async function everything(id: number): Promise<string> {
  const parts = await Promise.all([
    rows(`SELECT * FROM leads WHERE id = ?1`, id),
    rows(`SELECT name, value FROM lead_datas WHERE lead_id = ?1`, id),
    rows(`SELECT message, detail FROM processr_job_leads WHERE lead_id = ?1`, id),
    rows(`SELECT message, context FROM logs WHERE lead_id = ?1`, id),
    rows(`SELECT note, reason FROM lead_notes WHERE lead_id = ?1`, id),
  ]);
  return JSON.stringify(parts);
}

describe("adding an email to an erasure list", () => {
  it("redacts that person's leads, keeps their ids, flags and statistics, and writes a note on each", async () => {
    const [first, second] = await captureAndProcess([PERSON, { ...PERSON, email: " hedy.lamarr@example.org" }]);
    const [other] = await captureAndProcess([{ firstName: "Grace", lastName: "Hopper", email: "grace@example.org" }]);
    // A provider log and an admin's note quoting the person, as deliveries and edits write them.
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO logs (type, lead_id, campaign_id, message, context) VALUES ('provider', ?1, 601, ?2, ?3)`).bind(
        first,
        "POST to CRM for Hedwig Kiesler",
        JSON.stringify({ request: { body: "email=hedy.lamarr%40example.org", json: { email: "hedy.lamarr@example.org", score: 40, ok: true } } }),
      ),
      env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note) VALUES (?1, 'admin@acme.test', 'Called Hedwig on +44 20 7946 0123')`).bind(first),
    ]);
    // The second lead is a duplicate: its job result quotes the email in the admin-only detail.
    expect(await everything(second!)).toContain("hedy.lamarr@example.org");
    const before = { leads: await kept([first!, second!]), stats: await stats(), other: await everything(other!) };

    const res = await addToErasureList("HEDY.LAMARR@example.org");
    expect(res.status).toBe(201);
    expect(res.body.value).toBe("hedy.lamarr@example.org");

    expect(await kept([first!, second!])).toEqual(before.leads);
    expect(await stats()).toEqual(before.stats);
    expect(await everything(other!)).toBe(before.other);
    for (const id of [first!, second!]) {
      const text = await everything(id);
      for (const v of ["Hedwig", "Kiesler", "hedy.lamarr", "Hedy.Lamarr", "7946", "SW1A"]) expect(text, `lead ${id} still has ${v}`).not.toContain(v);
      const lead = (await rows<Record<string, unknown>>(`SELECT email, first_name, last_name, telephone, postcode, ip, user_agent FROM leads WHERE id = ?1`, id))[0];
      expect(Object.values(lead!).every((v) => v === null)).toBe(true);
      const data = await rows<{ name: string; value: string; type: string }>(`SELECT name, value, type FROM lead_datas WHERE lead_id = ?1 ORDER BY name`, id);
      expect(data.filter((d) => d.type !== "system").every((d) => d.value === ERASED || d.value === "")).toBe(true);
      expect(data.find((d) => d.name === "leadHash")?.value).toMatch(/\w/);
      expect(await erasureNotes(id)).toEqual([
        {
          author: "admin@acme.test",
          note: `Personal data erased: the lead's email is on the erasure list "GDPR erasure requests" (${erasureList["@id"]}). Its captured values and personal fields were removed; its ids, flags and statistics are kept.`,
        },
      ]);
    }
    // The JSON of the provider log keeps its structure; only the strings lost the person.
    const log = await rows<{ message: string; context: string }>(`SELECT message, context FROM logs WHERE lead_id = ?1 AND type = 'provider'`, first);
    expect(log[0]!.message).toBe(`POST to CRM for ${ERASED} ${ERASED}`);
    expect(JSON.parse(log[0]!.context).request.json).toEqual({ email: ERASED, score: 40, ok: true });

    // Read back through v4: the lead is still there, with its flag, without the person.
    const lead = await get(`/api/v4/leads/${first}`, t.admin);
    expect(lead.status).toBe(200);
    expect(JSON.stringify(lead.body)).not.toContain("Hedwig");

    // Adding the email again answers with the same entry and writes nothing more.
    const notes = await rows(`SELECT count(*) AS n FROM lead_notes`);
    const again = await addToErasureList("hedy.lamarr@example.org");
    expect(again.body.id).toBe(res.body.id);
    expect(await rows(`SELECT count(*) AS n FROM lead_notes`)).toEqual(notes);
    expect(await erasureNotes(first!)).toHaveLength(1);
  });

  it("erases deleted leads too", async () => {
    const [id] = await captureAndProcess([{ ...PERSON, email: "deleted.person@example.org" }]);
    await env.DB.prepare(`UPDATE leads SET deleted_ts = 1 WHERE id = ?1`).bind(id).run();
    await addToErasureList("deleted.person@example.org");
    expect(await everything(id!)).not.toContain("Hedwig");
    expect(await erasureNotes(id!)).toHaveLength(1);
  });

  it("erases a person with many leads in bounded batches, the rest on the bulk queue", async () => {
    const n = ERASE_BATCH * 2 + 7;
    await env.DB.prepare(
      `INSERT INTO leads (id, campaign_id, publisher_id, form_id, lead_hash, flag, processr_status, email, first_name, created_ts, updated_ts)
       WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < ?1)
       SELECT 81000 + k, 601, 12, 35, 'many' || k, 'Valid', 1000, 'many@example.org', 'Prolific', 1767225600000 + k, 1767225600000 + k FROM s`,
    ).bind(n).run();
    const res = await addToErasureList("many@example.org");
    expect(res.status).toBe(201);
    const left = () => rows<{ n: number }>(`SELECT count(*) AS n FROM leads WHERE lead_hash LIKE 'many%' AND first_name IS NOT NULL`);
    // The request erased one batch itself.
    expect((await left())[0]!.n).toBeLessThanOrEqual(n - ERASE_BATCH);
    const until = Date.now() + 25_000;
    while ((await left())[0]!.n > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect((await left())[0]!.n).toBe(0);
    const notes = await rows<{ n: number }>(
      `SELECT count(*) AS n FROM lead_notes WHERE note LIKE 'Personal data erased%' AND lead_id IN (SELECT id FROM leads WHERE lead_hash LIKE 'many%')`,
    );
    expect(notes[0]!.n).toBe(n);
  });

  it("erases every email of a CSV imported into an erasure list (queued)", async () => {
    const ids = await captureAndProcess([
      { ...PERSON, email: "csv.one@example.org" },
      { ...PERSON, email: "csv.two@example.org" },
    ]);
    const res = await call(`/api/v4/validation-lists/${erasureList.id}/import`, {
      method: "POST",
      headers: { ...t.admin, "Content-Type": "text/csv" },
      body: "email\ncsv.one@example.org\nCSV.Two@example.org\n",
    });
    expect(await res.json()).toMatchObject({ values: 2, added: 2, erasureQueued: 2 });
    const until = Date.now() + 25_000;
    const erased = async () => (await Promise.all(ids.map(erasureNotes))).every((n) => n.length === 1);
    while (!(await erased()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await erased()).toBe(true);
    for (const id of ids) expect(await everything(id)).not.toContain("csv.");
  });
});
