import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, json, loginAs } from "../helpers";

// /api/v4/advertiser-value-transforms, their value tables and the CSV import/export: admins'
// configuration; bad settings and bad files are refused with the reason and change nothing.

let admin: string;
let publisher: string;
const ADVERTISER = "/api/v4/advertisers/319";

async function api(path: string, method: string, body?: unknown, token = admin) {
  const res = await call(path, body === undefined ? { method, headers: bearer(token) } : json(body, method, bearer(token)));
  const text = await res.text();
  return { status: res.status, type: res.headers.get("Content-Type"), body: text.startsWith("{") ? JSON.parse(text) : text };
}
/** Every table these resources write, to show a refused request changed nothing. */
const snapshot = async () =>
  JSON.stringify(
    (
      await env.DB.batch([
        env.DB.prepare("SELECT * FROM advertiser_value_transforms ORDER BY id"),
        env.DB.prepare("SELECT * FROM advertiser_value_transform_values ORDER BY id"),
      ])
    ).map((r) => r.results),
  );
const violations = (body: { violations?: { propertyPath: string; message: string }[] }) => body.violations?.map((v) => `${v.propertyPath}: ${v.message}`);

const rule = (over: Record<string, unknown> = {}) => ({
  advertiser: ADVERTISER, label: "Industry", type: "Transform", originalFieldName: "industry", newFieldName: `industryGroup${crypto.randomUUID().slice(0, 8)}`, ...over,
});

beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  publisher = await loginAs(DEMO.northwind);
});

describe("rules", () => {
  it("an admin creates, reads, updates and deletes one; a publisher user may not see them", async () => {
    const made = await api("/api/v4/advertiser-value-transforms", "POST", rule({ newFieldName: "industryGroup" }));
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      "@type": "AdvertiserValueTransformField", advertiser: ADVERTISER, type: "Transform", originalFieldName: "industry",
      newFieldName: "industryGroup", manipulation: null, enabled: true, position: 0,
    });
    const changed = await api(made.body["@id"], "PUT", { type: "Manipulation", manipulation: { operation: "replace", pattern: "&", replacement: "and" } });
    expect(changed.status).toBe(200);
    // Defaults are filled in and stored.
    expect(changed.body.manipulation).toEqual({ operation: "replace", pattern: "&", replacement: "and", flags: "g" });
    expect((await api("/api/v4/advertiser-value-transforms?advertiser.id=319&type=Manipulation", "GET")).body["hydra:totalItems"]).toBe(1);
    expect((await api("/api/v4/advertiser-value-transforms", "GET", undefined, publisher)).status).toBe(403);
    expect((await api(made.body["@id"], "GET", undefined, publisher)).status).toBe(403);
    expect((await api(made.body["@id"], "DELETE")).status).toBe(204);
    expect((await api(made.body["@id"], "GET")).status).toBe(404);
  });

  it("refuses settings that cannot work, naming the field, and changes nothing", async () => {
    await api("/api/v4/advertiser-value-transforms", "POST", rule({ newFieldName: "taken" }));
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [rule({ type: "Manipulation" }), "manipulation: A Manipulation needs its settings (operation: concatenate, replace, case or hash)."],
      [rule({ manipulation: { operation: "case", case: "lower" } }), "manipulation: A Transform takes its new values from its value table; set manipulation to null."],
      [rule({ newFieldName: "industry" }), "newFieldName: The new field must differ from the original field: a transform never replaces a captured value."],
      [rule({ newFieldName: "leadHash" }), 'newFieldName: "leadHash" is a value the platform sets; choose another name.'],
      [rule({ newFieldName: "country" }), 'newFieldName: "country" is a value the platform sets; choose another name.'],
      [rule({ newFieldName: "taken" }), "newFieldName: This value is already used."],
      [rule({ advertiser: "/api/v4/advertisers/999999" }), 'advertiser: Item not found for "/api/v4/advertisers/999999".'],
      [rule({ newFieldName: "bad name!" }), "newFieldName: Field names use letters, digits, _ . - and [ ] only."],
      [rule({ type: "Manipulation", manipulation: { operation: "hash", algorithm: "crc32" } }), "manipulation.algorithm:"],
      [rule({ type: "Manipulation", manipulation: { operation: "concatenate", fields: [] } }), "manipulation.fields:"],
      [rule({ type: "Manipulation", manipulation: { operation: "replace", pattern: "(a+)+$" } }),
        "manipulation.pattern: A repeated group may not contain a quantifier or an alternation (nested repetition)."],
      [rule({ type: "Manipulation", manipulation: { operation: "replace", pattern: "(\\w)\\1" } }), "manipulation.pattern: Back-references are not allowed."],
      [rule({ type: "Manipulation", manipulation: { operation: "replace", pattern: "[" } }), "manipulation.pattern: The pattern is not a valid regular expression"],
      [rule({ type: "Manipulation", manipulation: { operation: "replace", pattern: "a", flags: "gy" } }), "manipulation.flags: Flags are any of g, i, m, s, u, each at most once."],
    ];
    for (const [body, message] of cases) {
      const res = await api("/api/v4/advertiser-value-transforms", "POST", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body["@type"]).toBe("ConstraintViolationList");
      expect(violations(res.body)!.join("\n"), JSON.stringify(body)).toContain(message);
    }
    expect(await snapshot()).toBe(before);
  });
});

describe("value tables", () => {
  let transform: { id: number; "@id": string };
  const imp = (csv: string, mode?: string, id = transform["@id"]) =>
    api("/api/v4/advertiser-value-transform-imports", "POST", { advertiserValueTransform: id, csv, ...(mode ? { mode } : {}) });
  const table = async () =>
    (await api(`/api/v4/advertiser-value-transform-values?advertiserValueTransform.id=${transform.id}&order[id]=asc`, "GET")).body["hydra:member"].map(
      (v: { originalValue: string; newValue: string }) => [v.originalValue, v.newValue],
    );

  beforeAll(async () => {
    transform = (await api("/api/v4/advertiser-value-transforms", "POST", rule())).body;
  });

  it("imports a CSV (merge, then replace) and exports it back in the same format", async () => {
    expect(await imp('Original Value,New Value\r\nIT,Technology\r\n"Banking, retail",Finance\r\n')).toMatchObject({
      status: 201, body: { "@type": "AdvertiserValueTransformImport", mode: "merge", rows: 2, created: 2, updated: 0, removed: 0 },
    });
    // Merge: "it" is the same key as "IT" (trimmed, ignoring case), so it updates that row.
    expect((await imp("it,Information technology\nHealth,Healthcare\n")).body).toMatchObject({ rows: 2, created: 1, updated: 1 });
    expect(await table()).toEqual([["it", "Information technology"], ["Banking, retail", "Finance"], ["Health", "Healthcare"]]);

    const exported = await api(`${transform["@id"]}/values.csv`, "GET");
    expect(exported.status).toBe(200);
    expect(exported.type).toBe("text/csv; charset=utf-8");
    expect(exported.body).toBe('originalValue,newValue\r\nit,Information technology\r\n"Banking, retail",Finance\r\nHealth,Healthcare\r\n');

    expect((await imp("=1+1,-5\r\nHealth,Care\r\n", "replace")).body).toMatchObject({ mode: "replace", rows: 2, created: 1, updated: 1, removed: 2 });
    expect(await table()).toEqual([["=1+1", "-5"], ["Health", "Care"]]);
    // Cells that could run as formulas are exported quoted as text, and read back as they were.
    const again = (await api(`${transform["@id"]}/values.csv`, "GET")).body as string;
    expect(again).toContain("'=1+1,'-5\r\n");
    expect((await imp(again, "replace")).body).toMatchObject({ rows: 2, created: 0, updated: 2, removed: 0 });
    expect(await table()).toContainEqual(["=1+1", "-5"]);
  });

  it("refuses a file with bad rows, naming every one, and changes nothing", async () => {
    const before = await snapshot();
    const bad = await imp("originalValue,newValue\nA,1\nB\n,2\nC,3,extra\na,4\nD,5\n");
    expect(bad.status).toBe(422);
    expect(violations(bad.body)).toEqual([
      "file: Row 3: expected 2 columns (original value, new value), found 1.",
      "file: Row 4: the original value is empty.",
      "file: Row 5: expected 2 columns (original value, new value), found 3.",
      'file: Row 6: "a" repeats row 2 (values match trimmed, ignoring case).',
    ]);
    expect(violations((await imp('A,"never closed\n')).body)).toEqual(["file: The CSV file has a quoted field that is never closed."]);
    expect(violations((await imp("\n\n")).body)).toEqual(["file: The file has no rows."]);
    expect(violations((await imp(`A,${"x".repeat(1001)}\n`)).body)).toEqual(["file: Row 1: a value is longer than 1000 characters."]);
    expect((await imp("A,1\n", "overwrite")).status).toBe(422);
    expect(violations((await imp("A,1\n", undefined, "/api/v4/advertiser-value-transforms/999999")).body)).toEqual([
      'advertiserValueTransform: Item not found for "/api/v4/advertiser-value-transforms/999999".',
    ]);
    const many = Array.from({ length: 30 }, (_, i) => `row${i}`).join("\n");
    const listed = violations((await imp(many)).body)!;
    expect(listed).toHaveLength(21);
    expect(listed.at(-1)).toBe("file: …and 10 more bad rows.");
    expect(await snapshot()).toBe(before);
  });

  it("takes a multipart upload, refuses a Manipulation's import and a publisher user", async () => {
    const form = new FormData();
    form.append("advertiserValueTransform", String(transform.id));
    form.append("file", new File(["Retail,Commerce\n"], "values.csv", { type: "text/csv" }));
    const res = await call("/api/v4/advertiser-value-transform-imports", { method: "POST", headers: bearer(admin), body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ rows: 1, created: 1 });
    expect(await table()).toContainEqual(["Retail", "Commerce"]);

    const before = await snapshot();
    const manipulation = (await api("/api/v4/advertiser-value-transforms", "POST", rule({ type: "Manipulation", manipulation: { operation: "case", case: "upper" } }))).body;
    expect(violations((await imp("A,1\n", undefined, manipulation["@id"])).body)).toEqual([
      "advertiserValueTransform: Only a Transform has a value table; this rule is a Manipulation.",
    ]);
    expect((await api(manipulation["@id"], "DELETE")).status).toBe(204);
    expect((await api("/api/v4/advertiser-value-transform-imports", "POST", { advertiserValueTransform: transform.id, csv: "A,1\n" }, publisher)).status).toBe(403);
    expect((await api(`${transform["@id"]}/values.csv`, "GET", undefined, publisher)).status).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  it("takes at most 10,000 rows per file", async () => {
    const before = await snapshot();
    const form = new FormData();
    form.append("advertiserValueTransform", transform["@id"]);
    form.append("file", new File([Array.from({ length: 10_001 }, (_, i) => `v${i},x`).join("\n")], "big.csv", { type: "text/csv" }));
    const res = await call("/api/v4/advertiser-value-transform-imports", { method: "POST", headers: bearer(admin), body: form });
    expect(res.status).toBe(422);
    expect(violations((await res.json()) as never)).toEqual(["file: The file has 10001 rows; an import takes at most 10000."]);
    expect(await snapshot()).toBe(before);
  });

  it("rows through the resource: a second spelling of a known value is refused", async () => {
    const add = (originalValue: string) =>
      api("/api/v4/advertiser-value-transform-values", "POST", { advertiserValueTransform: transform["@id"], originalValue, newValue: "X" });
    expect((await add("Energy")).status).toBe(201);
    const again = await add("  ENERGY ");
    expect(again.status).toBe(422);
    expect(violations(again.body)).toEqual(["originalValue: This value is already used."]);
    expect(violations((await add("   ")).body)).toEqual(["originalValue: This value should not be blank."]);
  });

  it("deleting a rule deletes its table", async () => {
    const doomed = (await api("/api/v4/advertiser-value-transforms", "POST", rule())).body;
    await imp("A,1\nB,2\n", undefined, doomed["@id"]);
    expect((await api(doomed["@id"], "DELETE")).status).toBe(204);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM advertiser_value_transform_values WHERE advertiser_value_transform_id = ?").bind(doomed.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});
