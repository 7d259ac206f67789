import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { setLeadValues } from "../../src/leads/lead-data-block";
import { VALUE_TRANSFORM_DATA_TYPE } from "../../src/processr/value-transforms";
import { bearer, DEMO, loginAs } from "../helpers";
import { formBody, leadsPath, postForm } from "../publisher/support";
import { send } from "../v4/fixtures";

// setLeadValues (a run's value-transform results, src/processr/value-transforms.ts) writes a
// lead's new and changed values in one rewrite of its row: the same entries, ids and
// lead_data_ids rows as one setLeadData (the view's triggers) per value, in the same order.

let admin: Record<string, string>;
let publisher: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
  publisher = bearer(await loginAs(DEMO.northwind));
});

const T = VALUE_TRANSFORM_DATA_TYPE;

interface ViewWrite { leadId: number; name: string; value: string; type: string; now: number }
/** The reference: one value set through the view lead_datas, so by its triggers (an update, then an insert if the name is new). */
const setLeadData = (db: D1Database, w: ViewWrite): D1PreparedStatement[] => [
  db.prepare(`UPDATE lead_datas SET value = ?3, updated_ts = ?5 WHERE lead_id = ?1 AND name = ?2 AND type = ?4`)
    .bind(w.leadId, w.name, w.value, w.type, w.now),
  db.prepare(
    `INSERT INTO lead_datas (lead_id, name, value, type, created_ts, updated_ts) SELECT ?1, ?2, ?3, ?4, ?5, ?5
      WHERE NOT EXISTS (SELECT 1 FROM lead_datas WHERE lead_id = ?1 AND name = ?2)`,
  ).bind(w.leadId, w.name, w.value, w.type, w.now),
];

async function newLead(email: string): Promise<number> {
  const res = await postForm(leadsPath(12, 35, 601), formBody({ firstName: "Ada", lastName: "Lovelace", email }), publisher);
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

const rowOf = (id: number) => env.DB.prepare(`SELECT data FROM leads WHERE id = ?1`).bind(id).first<{ data: string }>();
const idsOf = async (id: number) =>
  (await env.DB.prepare(`SELECT id FROM lead_data_ids WHERE lead_id = ?1 ORDER BY id`).bind(id).all<{ id: number }>()).results.map((r) => r.id);
const nextId = async () =>
  (await env.DB.prepare(`SELECT max(seq) AS n FROM sqlite_sequence WHERE name = 'lead_data_ids'`).first<{ n: number }>())!.n + 1;

/** A lead's entries with each added value's id given as its distance from `from`. */
async function entries(leadId: number, from: Map<number, number>): Promise<unknown[]> {
  const ids = await idsOf(leadId);
  return (JSON.parse((await rowOf(leadId))!.data) as (unknown[] | null)[]).map((e) =>
    e && e.length === 6 ? [...e.slice(0, 5), (e[5] as number) - from.get(ids.indexOf(e[5] as number) < 2 ? 0 : 1)!] : e,
  );
}

describe("a run's values of one lead, in one statement", () => {
  it("give the entries, ids and lead_data_ids rows one write per value gives", async () => {
    const [a, b] = [await newLead("values.write.a@example.org"), await newLead("values.write.b@example.org")];
    const starts = new Map<number, Map<number, number>>();
    for (const lead of [a, b]) {
      const first = await nextId();
      // Earlier results: one of the transform's type (changed below) and one of another type (kept).
      await env.DB.batch([
        ...setLeadData(env.DB, { leadId: lead, name: "tier", value: "bronze", type: T, now: 1_000 }),
        ...setLeadData(env.DB, { leadId: lead, name: "kept", value: "theirs", type: "core.data", now: 1_000 }),
      ]);
      const run: [string, string][] = [["tier", "gold"], ["region", "north"], ["kept", "mine"], ["score", "7"]];
      const second = await nextId();
      await env.DB.batch(
        lead === a ? run.flatMap(([name, value]) => setLeadData(env.DB, { leadId: lead, name, value, type: T, now: 2_000 })) : setLeadValues(env.DB, lead, run, T, 2_000),
      );
      starts.set(lead, new Map([[0, first], [1, second]]));
      // Ids one after another, each kept in lead_data_ids.
      expect(await idsOf(lead)).toEqual([first, first + 1, second, second + 1]);
    }
    // After the captured block (the leads' own values), the same entries.
    const want = (await entries(a, starts.get(a)!)).slice(4);
    expect(want).toEqual([
      ["tier", "gold", T, 2_000, 1_000, 0],
      ["kept", "theirs", null, 1_000, 1_000, 1],
      ["region", "north", T, 2_000, 2_000, 0],
      ["score", "7", T, 2_000, 2_000, 1],
    ]);
    expect((await entries(b, starts.get(b)!)).slice(4)).toEqual(want);
  });

  it("still lets concurrent writes to the lead's values all land", async () => {
    const a = await newLead("values.write.c@example.org");
    const writes = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => env.DB.batch(setLeadValues(env.DB, a, [[`run${i}a`, `${i}`], [`run${i}b`, `${i}`]], T, 3_000))),
      ...Array.from({ length: 6 }, (_, i) => send("/api/v4/lead-datas", "POST", { lead: a, name: `posted${i}`, value: `p${i}` }, admin)),
    ]);
    expect(writes.slice(6).map((w) => (w as { status: number }).status)).toEqual(Array(6).fill(201));
    const view = (await env.DB.prepare(`SELECT id, name, value FROM lead_datas WHERE lead_id = ?1 ORDER BY id`).bind(a).all<{ id: number; name: string; value: string }>())
      .results;
    const names = new Set(view.map((v) => v.name));
    for (let i = 0; i < 6; i++) for (const n of [`run${i}a`, `run${i}b`, `posted${i}`]) expect(names.has(n)).toBe(true);
    expect(new Set(view.map((v) => v.id)).size).toBe(view.length);
    // Every added value's id is in lead_data_ids, for this lead.
    expect(await idsOf(a)).toEqual(view.filter((v) => v.name.startsWith("run") || v.name.startsWith("posted")).map((v) => v.id));
  });
});
