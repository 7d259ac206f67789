import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { decodeUtf8, parseMultipart, readBodyBytes } from "../../http/body";
import { csvLine, parseCsv } from "../../http/csv";
import { iri, LD_JSON } from "../../hydra/jsonld";
import { readJsonObject, relation, unprocessable, validate } from "../../hydra/write";
import { MAX_VALUE_LENGTH } from "./advertiser-value-transforms";

// A Transform's value table as CSV (Convertr's AdvertiserValueTransformImport), admins only:
// - POST /api/v4/advertiser-value-transform-imports: multipart/form-data with the CSV as "file"
//   and "advertiserValueTransform" (IRI or id), or JSON with the CSV text as "csv"; "mode" is
//   "merge" (add and update rows; the default) or "replace" (the file becomes the whole table).
//   Two columns, original value then new value, with an optional header row. A file with any bad
//   row is refused with a 422 naming every bad row (up to MAX_REPORTED), and nothing is written;
//   a good file is written in one D1 batch.
// - GET /api/v4/advertiser-value-transforms/{id}/values.csv: the table in the same format.

export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 10_000;
const MAX_REPORTED = 20;
/** Rows per INSERT: D1 binds at most 100 parameters per statement, two per row. */
const ROWS_PER_INSERT = 50;
const HEADER = /^original ?value$/i;

const fields = z
  .object({
    advertiserValueTransform: relation("advertiser-value-transforms"),
    mode: z.enum(["merge", "replace"]).default("merge"),
    csv: z.string().optional(),
  })
  .strict();

/**
 * The key the table's unique index is built on, lower(trim(original_value)): SQLite's trim()
 * removes spaces and its lower() changes ASCII letters only.
 */
export const matchKey = (v: string) => v.replace(/^ +| +$/g, "").replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * Cells our CSV export (and spreadsheets) prefixed with a quote against formula injection
 * (src/http/csv.ts) are read back as they were.
 */
const unquote = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

/** The rows of an import file, or a 422 naming every bad row. */
export function parseValueTable(text: string): [original: string, replacement: string][] {
  const records = parseCsv(text.replace(/^\uFEFF/, ""));
  if (records === null) throw unprocessable([{ propertyPath: "file", message: "The CSV file has a quoted field that is never closed." }]);
  const rows: [string, string][] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  records.forEach((record, i) => {
    const line = i + 1;
    if (record.length === 1 && record[0]!.trim() === "") return; // blank line
    if (i === 0 && HEADER.test(record[0]!.trim())) return;
    if (record.length !== 2) return void problems.push(`Row ${line}: expected 2 columns (original value, new value), found ${record.length}.`);
    const [original, replacement] = record.map(unquote) as [string, string];
    if (original.trim() === "") return void problems.push(`Row ${line}: the original value is empty.`);
    if (original.length > MAX_VALUE_LENGTH || replacement.length > MAX_VALUE_LENGTH) {
      return void problems.push(`Row ${line}: a value is longer than ${MAX_VALUE_LENGTH} characters.`);
    }
    const first = seen.get(matchKey(original));
    if (first !== undefined) return void problems.push(`Row ${line}: "${original}" repeats row ${first} (values match trimmed, ignoring case).`);
    seen.set(matchKey(original), line);
    rows.push([original, replacement]);
  });
  if (problems.length === 0 && rows.length > MAX_IMPORT_ROWS) problems.push(`The file has ${rows.length} rows; an import takes at most ${MAX_IMPORT_ROWS}.`);
  if (problems.length === 0 && rows.length === 0) problems.push("The file has no rows.");
  if (problems.length) {
    const more = problems.length > MAX_REPORTED ? [`…and ${problems.length - MAX_REPORTED} more bad rows.`] : [];
    throw unprocessable([...problems.slice(0, MAX_REPORTED), ...more].map((message) => ({ propertyPath: "file", message })));
  }
  return rows;
}

/** The request's fields and CSV text: multipart with a "file", or JSON with "csv". */
async function readImport(c: Context<AppEnv>) {
  const type = (c.req.header("Content-Type") ?? "").toLowerCase();
  if (!type.startsWith("multipart/form-data")) {
    const data = validate(fields, await readJsonObject(c, "json"));
    if (data.csv === undefined) throw unprocessable([{ propertyPath: "csv", message: 'The CSV text ("csv") or a multipart "file" is required.' }]);
    return { ...data, csv: data.csv };
  }
  const form = await parseMultipart(c.req.header("Content-Type")!, await readBodyBytes(c, MAX_IMPORT_BYTES));
  const given: Record<string, unknown> = Object.create(null);
  let csv: string | undefined;
  for (const [key, value] of form.entries()) {
    if (Object.hasOwn(given, key) || (key === "file" && csv !== undefined)) throw new ApiError("BAD_REQUEST", `Field "${key}" is given more than once.`);
    if (key === "file" && typeof value !== "string") csv = decodeUtf8(new Uint8Array(await value.arrayBuffer()));
    else given[key] = value;
  }
  const data = validate(fields.omit({ csv: true }), given);
  if (csv === undefined) throw unprocessable([{ propertyPath: "file", message: "A CSV file of original and new values is required." }]);
  return { ...data, csv };
}

export const valueTransformImport = new Hono<AppEnv>();

valueTransformImport.post("/advertiser-value-transform-imports", authenticate(), requireAdmin, async (c) => {
  const { advertiserValueTransform: id, mode, csv } = await readImport(c);
  const db = c.env.DB;
  const rule = await db.prepare("SELECT id, type FROM advertiser_value_transforms WHERE id = ?").bind(id).first<{ id: number; type: string }>();
  if (!rule) throw unprocessable([{ propertyPath: "advertiserValueTransform", message: `Item not found for "${iri("advertiser-value-transforms", id)}".` }]);
  if (rule.type !== "Transform") {
    throw unprocessable([{ propertyPath: "advertiserValueTransform", message: "Only a Transform has a value table; this rule is a Manipulation." }]);
  }
  const rows = parseValueTable(csv);
  const { results: existing } = await db
    .prepare("SELECT lower(trim(original_value)) AS k FROM advertiser_value_transform_values WHERE advertiser_value_transform_id = ?")
    .bind(id)
    .all<{ k: string }>();
  const before = new Set(existing.map((e) => e.k));
  const keys = new Set(rows.map(([original]) => matchKey(original)));
  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  if (mode === "replace") statements.push(db.prepare("DELETE FROM advertiser_value_transform_values WHERE advertiser_value_transform_id = ?").bind(id));
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    statements.push(
      db.prepare(
        `INSERT INTO advertiser_value_transform_values (advertiser_value_transform_id, original_value, new_value, created_ts, updated_ts)
         VALUES ${chunk.map((_, j) => `(${id}, ?${2 * j + 1}, ?${2 * j + 2}, ${now}, ${now})`).join(", ")}
         ON CONFLICT (advertiser_value_transform_id, lower(trim(original_value)))
         DO UPDATE SET original_value = excluded.original_value, new_value = excluded.new_value, updated_ts = excluded.updated_ts`,
      ).bind(...chunk.flat()),
    );
  }
  // One batch: a failure leaves the table as it was.
  await db.batch(statements);
  const created = [...keys].filter((k) => !before.has(k)).length;
  const body = {
    "@type": "AdvertiserValueTransformImport",
    advertiserValueTransform: iri("advertiser-value-transforms", id),
    mode,
    rows: rows.length,
    created,
    updated: rows.length - created,
    removed: mode === "replace" ? [...before].filter((k) => !keys.has(k)).length : 0,
  };
  return c.body(JSON.stringify(body), 201, { "Content-Type": LD_JSON });
});

valueTransformImport.get("/advertiser-value-transforms/:id{[0-9]+}/values.csv", authenticate(), requireAdmin, async (c) => {
  const id = Number(c.req.param("id"));
  const db = c.env.DB;
  const rule = await db.prepare("SELECT id FROM advertiser_value_transforms WHERE id = ?").bind(id).first();
  if (!rule) throw new ApiError("NOT_FOUND", "Not Found");
  const { results } = await db
    .prepare("SELECT original_value, new_value FROM advertiser_value_transform_values WHERE advertiser_value_transform_id = ? ORDER BY id")
    .bind(id)
    .all<{ original_value: string; new_value: string }>();
  const text = csvLine(["originalValue", "newValue"]) + results.map((r) => csvLine([r.original_value, r.new_value])).join("");
  return c.body(text, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="value-transform-${id}.csv"`,
  });
});
