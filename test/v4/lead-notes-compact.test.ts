import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { restoreArchivedLead } from "../../src/archive/restore";
import { archiveNow, filesOf } from "../archive/helpers";
import { rows } from "../leads/fixtures";
import { captureAndProcess, formBody, leadsPath } from "../publisher/support";
import { type Doc, get, tokens } from "./fixtures";

// lead_notes is a view over lead_note_rows: a note the view can rebuild (the Processr's outcome
// note) is stored without its words, and reads exactly as a note stored in full.
let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

const stored = (leadId: number) =>
  rows<{ id: number; note: string | null; note_text: number | null; reason: string | null }>(
    `SELECT id, note, note_text, reason FROM lead_note_rows WHERE lead_id = ?1 ORDER BY id`,
    leadId,
  );
const withoutId = (d: Doc) => JSON.stringify({ ...d, "@id": null, id: null });

async function processedLead(email: string): Promise<number> {
  return captureAndProcess(leadsPath(12, 35, 601), formBody({ firstName: "Ada", lastName: "Lovelace", email }), { headers: t.north });
}

describe("lead notes stored compactly", () => {
  it("stores the Processr's outcome note without its words; the API answers it as the same note stored in full", async () => {
    const lead = await processedLead("ada.compact@example.org");
    const [row] = await stored(lead);
    expect(row).toMatchObject({ note: null, note_text: 39 });
    const compact = (await get(`/api/v4/lead-notes/${row!.id}`, t.admin)).body;
    expect(compact.author).toBe("processr");
    expect(compact.note).toMatch(/^Processr outcome \w+ \(score \d+\/\d+(, hard fail)?\) by processr\.$/);
    expect(compact.reason).toMatch(/^Score \d+\/\d+/);

    // The same note as a row written before the compact form: its words stored, read as stored.
    const old = await env.DB.prepare(
      `INSERT INTO lead_note_rows (lead_id, user_id, author, note, from_flag, to_flag, reason, created_ts)
       SELECT lead_id, user_id, author, ?2, from_flag, to_flag, reason, created_ts FROM lead_note_rows WHERE id = ?1 RETURNING id`,
    ).bind(row!.id, compact.note).first<{ id: number }>();
    const full = (await get(`/api/v4/lead-notes/${old!.id}`, t.admin)).body;
    expect(withoutId(full)).toBe(withoutId(compact));
    const list = (await get(`/api/v4/lead-notes?lead.id=${lead}&order[id]=asc`, t.admin)).body["hydra:member"] as Doc[];
    expect(list.map((n) => n.id)).toEqual([row!.id, old!.id]);
    expect(withoutId(list[0]!)).toBe(withoutId(list[1]!));
    expect((await get(`/api/v4/leads/${lead}`, t.admin)).body.leadNotes).toEqual([`/api/v4/lead-notes/${row!.id}`, `/api/v4/lead-notes/${old!.id}`]);
  });

  it("stores a note that only looks like an outcome note as written", async () => {
    const lead = await processedLead("ada.lookalike@example.org");
    const written = [
      ["processr", "Processr outcome Valid (score 100/100) by someone else.", "Valid", "Score 100/100; all jobs passed."],
      ["processr", "Processr outcome Valid (Score 100/100) by processr.", "Valid", "Score 100/100; all jobs passed."],
      ["processr", "Processr outcome Valid (score 100/100) by processr.", "Valid", "Score 100/100, all jobs passed."],
      ["admin@acme.test", "Processr outcome  () by admin@acme.test.", null, null],
    ] as const;
    for (const [author, note, toFlag, reason] of written) {
      await env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note, to_flag, reason) VALUES (?1, ?2, ?3, ?4, ?5)`).bind(lead, author, note, toFlag, reason).run();
    }
    const added = (await stored(lead)).slice(1);
    // The last one is rebuilt exactly from its empty columns, so it is compact; the others are not.
    expect(added.map((r) => r.note_text)).toEqual([null, null, null, 39]);
    const notes = await rows<{ note: string }>(`SELECT note FROM lead_notes WHERE lead_id = ?1 ORDER BY id`, lead);
    expect(notes.slice(1).map((n) => n.note)).toEqual(written.map((w) => w[1]));
  });

  it("keeps a note's words through an update that changes what it is rebuilt from (erasure's path), and deletes through the view", async () => {
    const lead = await processedLead("ada.update@example.org");
    const [row] = await stored(lead);
    const before = (await rows<{ note: string; reason: string }>(`SELECT note, reason FROM lead_notes WHERE id = ?1`, row!.id))[0]!;
    await env.DB.prepare(`UPDATE lead_notes SET reason = 'Checked by hand; [erased].' WHERE id = ?1`).bind(row!.id).run();
    expect((await stored(lead))[0]).toMatchObject({ note: before.note, note_text: null, reason: "Checked by hand; [erased]." });
    expect(await rows(`SELECT note, reason FROM lead_notes WHERE id = ?1`, row!.id)).toEqual([{ note: before.note, reason: "Checked by hand; [erased]." }]);
    // Its reason back: compact again.
    await env.DB.prepare(`UPDATE lead_notes SET reason = ?2 WHERE id = ?1`).bind(row!.id, before.reason).run();
    expect((await stored(lead))[0]).toMatchObject({ note: null, note_text: 39 });
    expect(await rows(`SELECT note, reason FROM lead_notes WHERE id = ?1`, row!.id)).toEqual([before]);
    await env.DB.prepare(`DELETE FROM lead_notes WHERE id = ?1`).bind(row!.id).run();
    expect(await stored(lead)).toEqual([]);
  });

  it("archives the note with its words, in the columns the table had, and restores it compact under its id", async () => {
    const lead = await processedLead("ada.archive@example.org");
    const storedBefore = await stored(lead);
    const asRead = await rows(`SELECT * FROM lead_notes WHERE lead_id = ?1`, lead);
    const api = (await get(`/api/v4/lead-notes?lead.id=${lead}`, t.admin)).body;
    await archiveNow([lead]);
    expect(await stored(lead)).toEqual([]);
    const record = (await filesOf("leads/campaign=601/")).flatMap((f) => f.leads).find((l) => l.id === lead)!;
    expect(JSON.stringify(record.rows.lead_notes)).toBe(JSON.stringify(asRead));
    expect(Object.keys(record.rows.lead_notes[0]!)).toEqual(["id", "lead_id", "user_id", "author", "note", "from_flag", "to_flag", "reason", "created_ts"]);
    expect(await restoreArchivedLead(env, lead)).toBe(true);
    expect(await stored(lead)).toEqual(storedBefore);
    expect((await get(`/api/v4/lead-notes?lead.id=${lead}`, t.admin)).body).toEqual(api);
  });

  it("refuses a note without words, as the table's NOT NULL did", async () => {
    const lead = await processedLead("ada.null@example.org");
    await expect(env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note) VALUES (?1, 'x', NULL)`).bind(lead).run()).rejects.toThrow(/NOT NULL constraint failed: lead_notes.note/);
  });
});
