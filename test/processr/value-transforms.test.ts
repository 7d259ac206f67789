import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { cleanData, insertLead, leadRow, processLeads, rows } from "../leads/fixtures";

// Advertiser value transforms in the Processr: configured through the v4 API as an admin would,
// applied to leads of campaign 601 (advertiser 319) by the real queue consumer. A QA job on
// campaign 601 checks a transform's new field, so a lead is Valid only when the jobs saw it.

let admin: string;
const ADVERTISER = "/api/v4/advertisers/319";

async function api(path: string, method: string, body?: unknown) {
  const res = await call(path, body === undefined ? { method, headers: bearer(admin) } : json(body, method, bearer(admin)));
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const create = async (path: string, body: unknown) => {
  const res = await api(`/api/v4/${path}`, "POST", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: number; "@id": string };
};
const useTransforms = async (on: boolean) =>
  expect((await api("/api/v4/campaigns/601", "PUT", { useValueTransforms: on })).body).toMatchObject({ useValueTransforms: on });

const transformData = (leadId: number) =>
  rows<{ name: string; value: string }>(`SELECT name, value FROM lead_datas WHERE lead_id = ?1 AND type = 'value.transform' ORDER BY name`, leadId);
const notes = (leadId: number) =>
  rows<{ author: string; note: string }>(`SELECT author, note FROM lead_notes WHERE lead_id = ?1 AND note LIKE 'Value transform%' ORDER BY id`, leadId);
const captured = (leadId: number) =>
  rows<{ name: string; value: string }>(`SELECT name, value FROM lead_datas WHERE lead_id = ?1 AND type = 'core.data' ORDER BY name`, leadId);
const jobResult = (leadId: number, jobId: number) =>
  env.DB.prepare(`SELECT status, message FROM processr_job_leads WHERE lead_id = ?1 AND campaign_processr_job_id = ?2`).bind(leadId, jobId).first<{ status: string; message: string }>();

async function reprocess(leadId: number) {
  expect((await call(`/api/v4/leads/${leadId}/reprocess`, { method: "POST", headers: bearer(admin) })).status).toBe(202);
  await vi.waitFor(async () => expect((await leadRow(leadId))!.processr_status).toBe(1000), { timeout: 15_000, interval: 100 });
}

let country: { id: number; "@id": string };
let countryJob: number;

beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  country = await create("advertiser-value-transforms", {
    advertiser: ADVERTISER, label: "Country names", type: "Transform", originalFieldName: "country", newFieldName: "countryName", position: 1,
  });
  const imported = await api("/api/v4/advertiser-value-transform-imports", "POST", {
    advertiserValueTransform: country["@id"],
    csv: "originalValue,newValue\r\nUK,United Kingdom\r\nFR,France\r\n",
  });
  expect(imported).toMatchObject({ status: 201, body: { rows: 2, created: 2, updated: 0 } });
  // The QA job that reads the transform's new field.
  countryJob = (await create("campaign-processr-jobs", {
    campaign: 601, type: "simple_conditional_validation", label: "Country is named", score: 10,
    config: { field: "countryName", operator: "EQUAL", values: ["United Kingdom", "France", "Great Britain"] },
  })).id;
  await useTransforms(true);
});

describe("a Transform", () => {
  it("writes the value table's new value into the new field, with a note; the jobs see it; the captured value is untouched", async () => {
    const id = await insertLead({ data: { ...cleanData(), country: " uk " } });
    await processLeads(id);
    expect(await transformData(id)).toEqual([{ name: "countryName", value: "United Kingdom" }]);
    expect(await captured(id)).toContainEqual({ name: "country", value: " uk " });
    expect(await notes(id)).toEqual([
      { author: "processr", note: 'Value transform "Country names" set "countryName" to "United Kingdom" from "country".' },
    ]);
    expect(await jobResult(id, countryJob)).toMatchObject({ status: "passed" });
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000 });
    // The v4 lead data shows it as a transform's value, not an editable captured one.
    const shown = await api(`/api/v4/lead-datas?lead.id=${id}&name=countryName`, "GET");
    expect(shown.body["hydra:member"]).toMatchObject([{ name: "countryName", value: "United Kingdom", type: "value.transform" }]);
    const editable = await api(`/api/v4/lead-editable-fields?lead.id=${id}&name=countryName`, "GET");
    expect(editable.body["hydra:totalItems"]).toBe(0);
  });

  it("writes nothing for a value not in its table, and the job that needs the field fails", async () => {
    const id = await insertLead({ data: { ...cleanData(), country: "Atlantis" } });
    await processLeads(id);
    expect(await transformData(id)).toEqual([]);
    expect(await notes(id)).toEqual([]);
    expect(await jobResult(id, countryJob)).toMatchObject({ status: "failed" });
  });

  it("never replaces a captured value of the new field's name, and says so in the log", async () => {
    const id = await insertLead({ data: { ...cleanData(), country: "UK", countryName: "France" } });
    await processLeads(id);
    expect(await transformData(id)).toEqual([]);
    expect(await captured(id)).toContainEqual({ name: "countryName", value: "France" });
    const logs = await rows<{ level: string; message: string }>(`SELECT level, message FROM logs WHERE lead_id = ?1 AND level = 'warning'`, id);
    expect(logs).toContainEqual({
      level: "warning",
      message: 'Value transform "Country names" wrote nothing: the lead already has a value named "countryName", which a transform never replaces.',
    });
    expect(await jobResult(id, countryJob)).toMatchObject({ status: "passed" });
  });
});

describe("reprocessing", () => {
  it("re-runs the transforms then the jobs: an unchanged result writes nothing again, a changed one is updated in place, a lapsed one removed", async () => {
    const id = await insertLead({ data: { ...cleanData(), country: "FR" } });
    await processLeads(id);
    const first = await rows(`SELECT id, name, value, updated_ts FROM lead_datas WHERE lead_id = ?1 ORDER BY id`, id);

    await reprocess(id);
    expect(await rows(`SELECT id, name, value, updated_ts FROM lead_datas WHERE lead_id = ?1 ORDER BY id`, id)).toEqual(first);
    expect(await notes(id)).toHaveLength(1);

    const fr = (await api(`/api/v4/advertiser-value-transform-values?advertiserValueTransform.id=${country.id}&originalValue=FR`, "GET")).body["hydra:member"][0];
    expect((await api(fr["@id"], "PUT", { newValue: "Great Britain" })).status).toBe(200);
    await reprocess(id);
    expect(await transformData(id)).toEqual([{ name: "countryName", value: "Great Britain" }]);
    expect(await rows(`SELECT id FROM lead_datas WHERE lead_id = ?1`, id)).toHaveLength(first.length);
    expect((await notes(id)).map((n) => n.note)).toEqual([
      'Value transform "Country names" set "countryName" to "France" from "country".',
      'Value transform "Country names" changed "countryName" from "France" to "Great Britain".',
    ]);
    expect(await jobResult(id, countryJob)).toMatchObject({ status: "passed" });

    expect((await api(fr["@id"], "DELETE")).status).toBe(204);
    await reprocess(id);
    expect(await transformData(id)).toEqual([]);
    expect((await notes(id)).at(-1)!.note).toBe(
      'Value transform "Country names" removed "countryName" (was "Great Britain"): the value of "country" is not in its value table.',
    );
    expect(await jobResult(id, countryJob)).toMatchObject({ status: "failed" });
    await create("advertiser-value-transform-values", { advertiserValueTransform: country["@id"], originalValue: "FR", newValue: "France" });
  });

  it("a redelivered message writes no second result or note", async () => {
    const id = await insertLead({ data: { ...cleanData(), country: "UK" } });
    await processLeads(id, id);
    await env.DB.prepare(`UPDATE leads SET processr_status = 100 WHERE id = ?1`).bind(id).run();
    await processLeads(id);
    expect(await transformData(id)).toEqual([{ name: "countryName", value: "United Kingdom" }]);
    expect(await notes(id)).toHaveLength(1);
  });
});

describe("Manipulations", () => {
  it("concatenate, replace, change case and hash, in position order, each into its own field", async () => {
    const rules = [
      { label: "Full name", originalFieldName: "firstName", newFieldName: "fullName", manipulation: { operation: "concatenate", fields: ["middleName", "lastName"] } },
      { label: "Digits", originalFieldName: "telephone", newFieldName: "phoneDigits", manipulation: { operation: "replace", pattern: "[^0-9]+", replacement: "" } },
      { label: "Shout", originalFieldName: "fullName", newFieldName: "fullNameUpper", manipulation: { operation: "case", case: "upper" } },
      { label: "Title", originalFieldName: "jobTitle", newFieldName: "jobTitleCased", manipulation: { operation: "case", case: "title" } },
      { label: "SHA", originalFieldName: "code", newFieldName: "codeSha256", manipulation: { operation: "hash", algorithm: "sha256" } },
      { label: "MD5", originalFieldName: "code2", newFieldName: "code2Md5", manipulation: { operation: "hash", algorithm: "md5", normalise: false } },
    ];
    const made = [];
    for (const [i, r] of rules.entries()) made.push(await create("advertiser-value-transforms", { advertiser: ADVERTISER, type: "Manipulation", position: 10 + i, ...r }));
    try {
      const id = await insertLead({ data: { ...cleanData(), telephone: "+44 (0)20 7946-0000", jobTitle: "head of DATA-quality", code: "  ABC ", code2: "abc" } });
      await processLeads(id);
      expect(Object.fromEntries((await transformData(id)).map((d) => [d.name, d.value]))).toEqual({
        fullName: "Ada Lovelace",
        fullNameUpper: "ADA LOVELACE",
        phoneDigits: "4402079460000",
        jobTitleCased: "Head Of Data-Quality",
        // The published test vectors for "abc": SHA-256 (FIPS 180-2) of the normalised "  ABC ", MD5 (RFC 1321) as given.
        codeSha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        code2Md5: "900150983cd24fb0d6963f7d28e17f72",
      });
      expect(await notes(id)).toHaveLength(6);
      expect(await captured(id)).toContainEqual({ name: "code", value: "  ABC " });
    } finally {
      for (const m of made) expect((await api(m["@id"], "DELETE")).status).toBe(204);
    }
  });

  it("takes field names that a plain object would answer from its prototype", async () => {
    const rule = await create("advertiser-value-transforms", {
      advertiser: ADVERTISER, label: "Proto", type: "Manipulation", originalFieldName: "constructor", newFieldName: "__proto__",
      manipulation: { operation: "case", case: "lower" },
    });
    try {
      const id = await insertLead({ data: { ...cleanData(), constructor: "MiXeD" } });
      await processLeads(id);
      expect(await transformData(id)).toEqual([{ name: "__proto__", value: "mixed" }]);
      // A lead without the field gets nothing (its "constructor" is not Object's).
      const other = await insertLead();
      await processLeads(other);
      expect(await transformData(other)).toEqual([]);
    } finally {
      expect((await api(rule["@id"], "DELETE")).status).toBe(204);
    }
  });

  it("leaves a value longer than a pattern may run on alone, with a warning", async () => {
    const rule = await create("advertiser-value-transforms", {
      advertiser: ADVERTISER, label: "Trim", type: "Manipulation", originalFieldName: "notes", newFieldName: "notesTrimmed",
      manipulation: { operation: "replace", pattern: "^\\s+|\\s+$", replacement: "" },
    });
    try {
      const id = await insertLead({ data: { ...cleanData(), notes: `${"a".repeat(300)} ` } });
      await processLeads(id);
      expect(await transformData(id)).toEqual([]);
      const warned = await rows<{ message: string }>(`SELECT message FROM logs WHERE lead_id = ?1 AND level = 'warning' AND message LIKE 'Value transform%'`, id);
      expect(warned.map((w) => w.message)).toEqual([
        'Value transform "Trim" wrote nothing: "notes" is longer than 256 characters, the most a pattern runs on.',
      ]);
    } finally {
      expect((await api(rule["@id"], "DELETE")).status).toBe(204);
    }
  });
});

describe("a rule stored with settings the API would refuse", () => {
  it("is not run: the lead is processed and the log says why", async () => {
    const { id: ruleId } = (await env.DB.prepare(
      `INSERT INTO advertiser_value_transforms (advertiser_id, label, type, original_field_name, new_field_name, manipulation, position)
       VALUES (319, 'Broken', 'Manipulation', 'firstName', 'broken', '{"operation":"replace","pattern":"(a+)+$"}', 50) RETURNING id`,
    ).first<{ id: number }>())!;
    try {
      const id = await insertLead({ data: { ...cleanData(), country: "UK" } });
      await processLeads(id);
      expect(await transformData(id)).toEqual([{ name: "countryName", value: "United Kingdom" }]);
      const warned = await rows<{ message: string }>(`SELECT message FROM logs WHERE lead_id = ?1 AND level = 'warning' AND message LIKE 'Value transform%'`, id);
      expect(warned.map((w) => w.message)).toEqual(['Value transform "Broken" wrote nothing: its manipulation settings are not valid.']);
      expect(await leadRow(id)).toMatchObject({ flag: "Valid" });
    } finally {
      await env.DB.prepare(`DELETE FROM advertiser_value_transforms WHERE id = ?1`).bind(ruleId).run();
    }
  });
});

describe("with useValueTransforms off", () => {
  it("changes nothing: no new field, no note, and the jobs see the captured values only", async () => {
    await useTransforms(false);
    try {
      const id = await insertLead({ data: { ...cleanData(), country: "UK" } });
      await processLeads(id);
      expect(await transformData(id)).toEqual([]);
      expect(await notes(id)).toEqual([]);
      expect(await jobResult(id, countryJob)).toMatchObject({ status: "failed" });
    } finally {
      await useTransforms(true);
    }
  });
});
