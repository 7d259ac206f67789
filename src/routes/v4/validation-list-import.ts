import { eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import { validationLists } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError, type Violation } from "../../errors";
import { decodeUtf8, parseMultipart, readBodyBytes } from "../../http/body";
import { parseCsv } from "../../http/csv";
import { iri } from "../../hydra/jsonld";
import { context } from "../../hydra/resource";
import { unprocessable } from "../../hydra/write";
import { queueErasure } from "../../lists/erasure";
import { normaliseListValue } from "../../lists/normalise";

// POST /api/v4/validation-lists/{id}/import (admins): adds the values of a CSV file to a list, as
// the body (Content-Type: text/csv) or as the "file" of a multipart/form-data upload. One value
// per row, first column; a header row (value, email, domain, phone, telephone) and blank lines are
// skipped, so the entries' CSV export imports as it is. Every row is checked first: if any is not
// a value of the list's kind the answer is a 422 naming the rows, and nothing is added. Values
// already on the list are counted, not added twice. The inserts are one D1 batch (a transaction)
// of bounded statements. Importing into an erasure list queues the erasure of every email in the
// file on the bulk queue.

/** 100,000 rows of long email addresses fit. */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 100_000;
/** Values per INSERT statement (bound as one JSON array). */
const CHUNK = 1000;
/** Bad rows named in the answer; the rest are counted. */
const SHOWN_ERRORS = 20;

const HEADER = /^(?:value|email|e-?mail address|domain|phone|telephone)$/i;
// The CSV export neutralises cells that a spreadsheet would take for a formula ("+44…" → "'+44…").
const NEUTRALISED = /^'(?=[=+\-@\t\r])/;

async function readCsv(c: Context<AppEnv>): Promise<string> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  const bytes = await readBodyBytes(c, MAX_IMPORT_BYTES);
  if (type === "text/csv") return decodeUtf8(bytes);
  if (type === "multipart/form-data") {
    const file = (await parseMultipart(c.req.header("Content-Type")!, bytes)).get("file");
    if (file === null || typeof file === "string") throw unprocessable([{ propertyPath: "file", message: "A CSV file is required." }]);
    return decodeUtf8(new Uint8Array(await file.arrayBuffer()));
  }
  throw new ApiError(
    "UNSUPPORTED_MEDIA_TYPE",
    `The content-type "${type || "(none)"}" is not supported. Supported MIME types are "text/csv", "multipart/form-data".`,
  );
}

export const validationListImport = new Hono<AppEnv>();

validationListImport.post("/validation-lists/:id{[0-9]+}/import", authenticate(), requireAdmin, async (c) => {
  const ctx = context(c);
  const listId = Number(c.req.param("id"));
  const list = await ctx.db.select().from(validationLists).where(eq(validationLists.id, listId)).get();
  if (!list) throw new ApiError("NOT_FOUND", "Not Found");
  const rows = parseCsv((await readCsv(c)).replace(/^\uFEFF/, ""));
  if (rows === null) throw unprocessable([{ propertyPath: "file", message: "The CSV file has a quoted field that is never closed." }]);
  if (rows.length > MAX_IMPORT_ROWS + 1) throw unprocessable([{ propertyPath: "file", message: `The CSV file has more than ${MAX_IMPORT_ROWS} rows.` }]);

  const values = new Set<string>();
  const bad: Violation[] = [];
  let badRows = 0;
  rows.forEach((row, i) => {
    const raw = (row[0] ?? "").trim().replace(NEUTRALISED, "");
    if ((i === 0 && HEADER.test(raw)) || (row.length === 1 && raw === "")) return;
    const v = normaliseListValue(list.kind, raw);
    if ("value" in v) values.add(v.value);
    else if (++badRows <= SHOWN_ERRORS) bad.push({ propertyPath: "file", message: `Row ${i + 1}: ${v.error}` });
  });
  if (badRows > SHOWN_ERRORS) bad.push({ propertyPath: "file", message: `… and ${badRows - SHOWN_ERRORS} more rows that are not valid.` });
  if (bad.length) throw unprocessable(bad);
  if (values.size === 0) throw unprocessable([{ propertyPath: "file", message: "The CSV file lists no value." }]);

  const all = [...values];
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < all.length; i += CHUNK) {
    statements.push(
      c.env.DB.prepare(
        // "WHERE true": SQLite's upsert after a SELECT needs it to parse ON CONFLICT.
        `INSERT INTO validation_list_entries (list_id, value, created_ts) SELECT ?1, value, ?2 FROM json_each(?3) WHERE true
         ON CONFLICT (list_id, value) DO NOTHING`,
      ).bind(list.id, ctx.now, JSON.stringify(all.slice(i, i + CHUNK))),
    );
  }
  const results = await c.env.DB.batch(statements);
  const added = results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  if (list.erasure) await queueErasure(c.env, { listId: list.id, userId: ctx.principal.userId, author: ctx.principal.username }, all);
  return c.json({
    validationList: iri("validation-lists", list.id),
    values: all.length,
    added,
    alreadyListed: all.length - added,
    erasureQueued: list.erasure ? all.length : 0,
  });
});
