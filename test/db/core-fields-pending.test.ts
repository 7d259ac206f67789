import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../src/http/csv";
import { call } from "../helpers";
import { cleanData, insertLead } from "../leads/fixtures";
import { get, tokens } from "../v4/fixtures";

// While migration 0046's backfill of the leads' core-field copies is pending, a v4 Lead without a
// copy shows what its captured values give by the rule capture and the backfill use: the form's
// telephone-type field first, whatever it is called, then the known names.

let admin: Record<string, string>;

beforeAll(async () => {
  admin = (await tokens()).admin;
  await env.DB.prepare(`INSERT INTO form_fields (form_id, name, type, position) VALUES (35, 'contactNumber', 'telephone', 0)`).run();
});

/** As migration 0046 leaves a database: the leads up to `last` without copies, their range still to do. */
async function pendingUpTo(last: number) {
  await env.DB.prepare(
    `INSERT INTO backfills (name, next_id, last_id) VALUES ('lead_core_fields', 0, ?1) ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id`,
  ).bind(last).run();
}

describe("a v4 Lead whose core-field copies are still to be backfilled", () => {
  it("shows the value of its form's telephone-type field as telephone, before a known name", async () => {
    const typedOnly = await insertLead({ data: { ...cleanData(), contactNumber: "+44 20 7946 0001" } });
    const both = await insertLead({ data: { ...cleanData(), phone: "+44 20 7946 0999", contactNumber: "+44 20 7946 0002" } });
    const named = await insertLead({ data: { ...cleanData(), phone: "+44 20 7946 0003" } });
    await pendingUpTo(named);
    const copies = await env.DB.prepare(`SELECT count(*) AS n FROM leads WHERE id IN (?1, ?2, ?3) AND telephone IS NULL`).bind(typedOnly, both, named).first();
    expect(copies).toEqual({ n: 3 });

    const expected = ["+44 20 7946 0001", "+44 20 7946 0002", "+44 20 7946 0003"];
    const one = await Promise.all([typedOnly, both, named].map((id) => get(`/api/v4/leads/${id}`, admin)));
    expect(one.map((r) => r.body.telephone)).toEqual(expected);
    const page = await get(`/api/v4/leads?order[id]=desc&itemsPerPage=3`, admin);
    expect((page.body["hydra:member"] as { id: number; telephone: string }[]).map((l) => [l.id, l.telephone])).toEqual([
      [named, expected[2]], [both, expected[1]], [typedOnly, expected[0]],
    ]);
  });

  it("shows in the CSV export what the JSON Lead shows, by the same rule", async () => {
    const email = cleanData().email!;
    const lead = await insertLead({ data: { forename: "Grace", surname: "Hopper", contactNumber: "020 7946 0004", phone: "020 7946 0998", zip: "90210", email } });
    await pendingUpTo(lead);
    const core = ["firstName", "lastName", "telephone", "postcode"];
    const json = (await get(`/api/v4/leads/${lead}`, admin)).body;
    expect(core.map((n) => json[n])).toEqual(["Grace", "Hopper", "020 7946 0004", "90210"]);

    const res = await call(`/api/v4/leads?email=${encodeURIComponent(email)}`, { headers: { ...admin, Accept: "text/csv" } });
    expect(res.status).toBe(200);
    const [header, ...records] = parseCsv(await res.text())!;
    expect(records).toHaveLength(1);
    expect(core.map((n) => records[0]![header!.indexOf(n)])).toEqual(core.map((n) => json[n]));
  });
});
