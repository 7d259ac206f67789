import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers";
import { type Doc, get, send, tokens } from "./fixtures";

// Validation lists through v4, black-box: lists and entries (normalised per kind), CSV import (a
// bad row refuses the whole file) and CSV export, admins only.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

const post = (path: string, body: unknown, headers = t.admin) => send(`/api/v4/${path}`, "POST", body, headers);
const newList = async (name: string, kind: string, erasure = false) => {
  const res = await post("validation-lists", { name, kind, erasure });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Doc;
};
const importCsv = (listId: number, csv: string, type = "text/csv", headers = t.admin) =>
  call(`/api/v4/validation-lists/${listId}/import`, { method: "POST", headers: { ...headers, "Content-Type": type }, body: csv });
const values = async (listId: number) =>
  (await env.DB.prepare(`SELECT value FROM validation_list_entries WHERE list_id = ?1 ORDER BY value`).bind(listId).all<{ value: string }>()).results.map(
    (r) => r.value,
  );

describe("/api/v4/validation-lists and /api/v4/validation-list-entries", () => {
  it("serves the demo enterprise's lists", async () => {
    const res = await get("/api/v4/validation-lists?order[id]=asc&id[]=1&id[]=2&id[]=3", t.admin);
    expect(res.body["hydra:member"].map((l: Doc) => [l.name, l.kind, l.erasure, l.entries])).toEqual([
      ["Competitor domains", "domain", false, 2],
      ["Do not contact", "email", false, 1],
      ["GDPR erasure requests", "email", true, 0],
    ]);
  });

  it("creates lists and adds entries stored normalised for the list's kind", async () => {
    const emails = await newList("Competitors", "email");
    expect(emails).toMatchObject({ "@type": "ValidationList", name: "Competitors", kind: "email", erasure: false, entries: 0 });
    const domains = await newList("Blocked domains", "domain");
    const phones = await newList("Do not call", "phone");
    const cases: [Doc, string, string][] = [
      [emails, "  Rival@Example.COM ", "rival@example.com"],
      [domains, "@Mail.Rival.Example.", "mail.rival.example"],
      [phones, "+44 (20) 7946-0958", "+442079460958"],
      [phones, "0044 20 7946 0959", "+442079460959"],
      [phones, "020 7946 0960", "02079460960"],
    ];
    for (const [list, raw, stored] of cases) {
      const res = await post("validation-list-entries", { validationList: list["@id"], value: raw });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ "@type": "ValidationListEntry", validationList: list["@id"], value: stored });
    }
    expect((await get(phones["@id"], t.admin)).body.entries).toBe(3);
    const filtered = await get(`/api/v4/validation-list-entries?validationList.id=${domains.id}`, t.admin);
    expect(filtered.body["hydra:member"].map((m: Doc) => m.value)).toEqual(["mail.rival.example"]);
  });

  it("answers a value already on the list with its entry, not a second one", async () => {
    const list = await newList("Twice", "email");
    const first = await post("validation-list-entries", { validationList: list.id, value: "twice@example.org" });
    const again = await post("validation-list-entries", { validationList: list.id, value: " TWICE@example.org" });
    expect(again.body.id).toBe(first.body.id);
    expect(await values(list.id)).toEqual(["twice@example.org"]);
  });

  it("refuses values that are not of the list's kind, an unknown list and an erasure list that is not of emails (422, nothing added)", async () => {
    const phones = await newList("Phones", "phone");
    const bad: [unknown, string][] = [
      [{ validationList: phones.id, value: "call me" }, "value"],
      [{ validationList: phones.id, value: "123" }, "value"],
      [{ validationList: 999999, value: "+441234567890" }, "validationList"],
      [{ validationList: phones.id, value: "+441234567890", extra: 1 }, ""],
    ];
    for (const [body, path] of bad) {
      const res = await post("validation-list-entries", body);
      expect(res.status).toBe(422);
      expect(res.body["@type"]).toBe("ConstraintViolationList");
      expect(res.body.violations.map((v: Doc) => v.propertyPath)).toContain(path);
    }
    const domains = await newList("Domains", "domain");
    for (const value of ["not a domain", "x@example.org", "example"]) {
      expect((await post("validation-list-entries", { validationList: domains.id, value })).status).toBe(422);
    }
    const erasure = await post("validation-lists", { name: "Erase phones", kind: "phone", erasure: true });
    expect(erasure.status).toBe(422);
    expect(erasure.body.violations).toEqual([expect.objectContaining({ propertyPath: "erasure" })]);
    expect(await values(phones.id)).toEqual([]);
  });

  it("renames a list but keeps its kind, removes entries, and deletes a list with its entries", async () => {
    const list = await newList("Old name", "email");
    const entry = await post("validation-list-entries", { validationList: list.id, value: "gone@example.org" });
    const renamed = await send(list["@id"], "PUT", { name: "New name" }, t.admin);
    expect(renamed.body).toMatchObject({ name: "New name", kind: "email" });
    expect((await send(list["@id"], "PUT", { kind: "domain" }, t.admin)).status).toBe(422);
    expect((await call(entry.body["@id"], { method: "DELETE", headers: t.admin })).status).toBe(204);
    expect(await values(list.id)).toEqual([]);
    await post("validation-list-entries", { validationList: list.id, value: "cascade@example.org" });
    expect((await call(list["@id"], { method: "DELETE", headers: t.admin })).status).toBe(204);
    expect(await values(list.id)).toEqual([]);
  });

  it("refuses a validation_list_check job naming a list that does not exist (422 on the config's item)", async () => {
    const list = await newList("Exists", "email");
    const res = await post("campaign-processr-jobs", {
      campaign: 601, type: "validation_list_check", label: "Missing list", config: { lists: [list.id, "/api/v4/validation-lists/999999"] },
    });
    expect(res.status).toBe(422);
    expect(res.body.violations).toEqual([
      expect.objectContaining({ propertyPath: "config.lists.1", message: 'Item not found for "/api/v4/validation-lists/999999".' }),
    ]);
    const jobs = await env.DB.prepare(`SELECT count(*) AS n FROM campaign_processr_jobs WHERE label = 'Missing list'`).first<{ n: number }>();
    expect(jobs!.n).toBe(0);
  });

  it("will not delete a list that a validation_list_check job checks (409 naming the job)", async () => {
    const list = await newList("In use", "email");
    const job = await post("campaign-processr-jobs", {
      campaign: 601, type: "validation_list_check", label: "Suppression 409", config: { lists: [list["@id"]] },
    });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    const res = await call(list["@id"], { method: "DELETE", headers: t.admin });
    expect(res.status).toBe(409);
    expect(((await res.json()) as Doc)["hydra:description"]).toContain("Suppression 409");
    expect((await get(list["@id"], t.admin)).status).toBe(200);
  });

  it("is for admins only: publisher users are refused every operation", async () => {
    const list = await newList("Private", "email");
    for (const who of [t.north, t.agency]) {
      expect((await get("/api/v4/validation-lists", who)).status).toBe(403);
      expect((await get("/api/v4/validation-list-entries", who)).status).toBe(403);
      expect((await call("/api/v4/validation-list-entries", { headers: { ...who, Accept: "text/csv" } })).status).toBe(403);
      expect((await post("validation-list-entries", { validationList: list.id, value: "a@example.org" }, who)).status).toBe(403);
      expect((await importCsv(list.id, "a@example.org\n", "text/csv", who)).status).toBe(403);
    }
    expect(await values(list.id)).toEqual([]);
  });
});

describe("CSV import and export", () => {
  it("imports a file (header, blank lines, repeats and values already listed), then exports it in a form that imports again", async () => {
    const list = await newList("Imported", "email");
    await post("validation-list-entries", { validationList: list.id, value: "old@example.org" });
    const res = await importCsv(list.id, "\uFEFFemail\r\nA@Example.org\r\n\r\nb@example.org\r\na@example.org\r\nold@example.org\r\n");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      validationList: list["@id"], values: 3, added: 2, alreadyListed: 1, erasureQueued: 0,
    });
    expect(await values(list.id)).toEqual(["a@example.org", "b@example.org", "old@example.org"]);

    const phones = await newList("Export phones", "phone");
    await post("validation-list-entries", { validationList: phones.id, value: "+44 20 7946 0958" });
    const csv = await call(`/api/v4/validation-list-entries?validationList.id=${phones.id}`, { headers: { ...t.admin, Accept: "text/csv" } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const text = await csv.text();
    const lines = text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("value,validationList,listName,kind,createdTs");
    // A leading + is neutralised for spreadsheets; the import reads it back.
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 4).join(","))).toEqual([`'+442079460958,${phones.id},Export phones,phone`]);
    const copy = await newList("Copy", "phone");
    const again = await importCsv(copy.id, text);
    expect(again.status).toBe(200);
    expect(await values(copy.id)).toEqual(["+442079460958"]);
  });

  it("takes the file as a multipart upload too", async () => {
    const list = await newList("Multipart", "domain");
    const form = new FormData();
    form.set("file", new File(["example.net\nexample.org\n"], "domains.csv", { type: "text/csv" }));
    const res = await call(`/api/v4/validation-lists/${list.id}/import`, { method: "POST", headers: t.admin, body: form });
    expect(res.status).toBe(200);
    expect(await values(list.id)).toEqual(["example.net", "example.org"]);
  });

  it("refuses a file with bad rows, naming each row, and adds nothing", async () => {
    const list = await newList("Strict", "email");
    const res = await importCsv(list.id, "value\ngood@example.org\nnot-an-email\nalso good@example.org\n\nfine@example.org\n");
    expect(res.status).toBe(422);
    const body = (await res.json()) as Doc;
    expect(body.violations).toEqual([
      { propertyPath: "file", message: 'Row 3: "not-an-email" is not an email address.' },
      { propertyPath: "file", message: 'Row 4: "also good@example.org" is not an email address.' },
    ]);
    expect(await values(list.id)).toEqual([]);
    const unclosed = await importCsv(list.id, 'good@example.org\n"never closed\n');
    expect(unclosed.status).toBe(422);
    const empty = await importCsv(list.id, "value\n\n");
    expect(empty.status).toBe(422);
    expect((await importCsv(list.id, "a@example.org", "application/json")).status).toBe(415);
    expect((await importCsv(999999, "a@example.org")).status).toBe(404);
    expect(await values(list.id)).toEqual([]);
  });

  it("counts bad rows past the first twenty", async () => {
    const list = await newList("Many bad", "phone");
    const res = await importCsv(list.id, Array.from({ length: 25 }, (_, i) => `bad${i}`).join("\n"));
    const body = (await res.json()) as Doc;
    expect(body.violations).toHaveLength(21);
    expect(body.violations[20].message).toBe("… and 5 more rows that are not valid.");
  });

  it("imports a large list in bounded statements and exports it page by page", async () => {
    const list = await newList("Large", "email");
    const n = 12_345;
    const csv = Array.from({ length: n }, (_, i) => `person${i}@bulk.example`).join("\n");
    const res = await importCsv(list.id, csv);
    expect(await res.json()).toMatchObject({ values: n, added: n });
    expect((await get(list["@id"], t.admin)).body.entries).toBe(n);
    const text = await (await call(`/api/v4/validation-list-entries?validationList.id=${list.id}`, { headers: { ...t.admin, Accept: "text/csv" } })).text();
    const rows = text.trimEnd().split("\r\n");
    expect(rows).toHaveLength(n + 1);
    expect(new Set(rows.slice(1).map((r) => r.split(",")[0])).size).toBe(n);
  });
});
