import { type SQL, and, Column, getTableColumns, getViewSelectedFields, is, sql } from "drizzle-orm";
import { SQLiteAsyncDialect, type SQLiteColumn, SQLiteTable, type SQLiteView } from "drizzle-orm/sqlite-core";
import type { Context, Hono } from "hono";
import type { z } from "zod";
import { authenticate } from "../auth/authenticate";
import { type Db, getDb } from "../db/client";
import type { AppEnv, Env, Principal } from "../env";
import { ApiError } from "../errors";
import { API_PREFIX, iri, iriPrefix, ld } from "./jsonld";
import { type Filter, QueryParams, orderBy, paging, partialView, searchTemplate, valueList } from "./query";
import { compile, runBatch } from "./statements";
import { readJsonObject, validate } from "./write";

// A v4 resource declared once: table, IRI, type, fields (serialisation and documentation),
// filters, access scope and write operations. mountResource() turns it into routes; docs.ts turns
// the same declaration into the Hydra API documentation and the JSON-LD contexts.

export interface Ctx {
  env: Env;
  db: Db;
  principal: Extract<Principal, { kind: "user" }>;
  isAdmin: boolean;
  /** The publisher a publisher user belongs to (null for admins). */
  publisherId: number | null;
  now: number;
}

export type Range =
  | "string"
  | "integer"
  | "boolean"
  | "dateTime"
  | "money"
  | "json"
  | { link: string }
  | { links: string }
  | { embed: string }
  | { embedMany: string };

export interface FieldDef<R, X> {
  range: Range;
  get(row: R, extra: X, ctx: Ctx): unknown;
  description?: string;
  /** Documented as writable (the write schema of the resource enforces it). */
  writable?: boolean;
  required?: boolean;
  /** Shown to admins only (e.g. a campaign's webhook key). */
  adminOnly?: boolean;
  nullable?: boolean;
}

export type Fields<R, X> = Record<string, FieldDef<R, X>>;

/**
 * Statements reading what the fields need beyond the rows, and how their results (each
 * statement's rows as D1 gives them: objects by column name) become the extra.
 */
export interface Preload<R, X> {
  statements: SQL[];
  build(rows: R[], results: unknown[][]): X;
}

export interface WriteOp<T> {
  schema: z.ZodType<T>;
  /** Performs the write; returns the id of the resulting item. */
  run(ctx: Ctx, data: T, id?: number): Promise<number>;
}

export interface ResourceDef<R = any, X = any> {
  type: string;
  path: string;
  title: string;
  description: string;
  table: SQLiteTable;
  /** The identifier: a column, or an expression for tables with a composite key. */
  id: SQLiteColumn | SQL;
  /** The identifier of a loaded row (default: row.id). */
  idOf?(row: R): number;
  /**
   * The condition that finds item `id` (default: the identifier equals it): a view whose ids are
   * computed adds one that an index can serve, so that one item is not searched among all rows.
   */
  idWhere?(id: number): SQL;
  fields: Fields<R, X>;
  filters: Filter[];
  defaultOrder?: SQL[];
  /** Rows that exist for everybody (e.g. not soft-deleted). */
  base?(ctx: Ctx): SQL | undefined;
  /** Rows a publisher user may see; "admin" when the resource is for admins only. */
  scope(ctx: Ctx): SQL | undefined | "admin";
  /**
   * A cheaper statement answering one row with the same number `n` as count(*) would give for
   * this request (a running total), or undefined to count. `active`: the filters the query uses.
   */
  total?(ctx: Ctx, q: QueryParams, active: Filter[]): SQL | undefined;
  /** Batch-loads what the fields need beyond the row (relations of a whole page at once). */
  load?(ctx: Ctx, rows: R[]): Promise<X>;
  /**
   * Instead of load: the same reads as statements over the ids of the rows (then pageColumns), given as a subquery.
   * A collection passes the page's own query as that subquery and runs them in the page's batch,
   * so that a page is one D1 round trip (count, rows and relations together).
   */
  preload?(ctx: Ctx, ids: SQL): Preload<R, X>;
  /**
   * Columns of the rows that the subquery given to preload selects after the id, in this order:
   * a preload that needs them (a lead's campaign) reads them there instead of looking each row up
   * again by id. A page's subquery reads them from the rows it finds; loaded rows pass their own.
   */
  pageColumns?: SQLiteColumn[];
  create?: WriteOp<any>;
  /** PUT: a full or partial update (API Platform's PUT with our partial semantics, documented). */
  update?: WriteOp<any>;
  /** PATCH with application/merge-patch+json. */
  patch?: WriteOp<any>;
  remove?(ctx: Ctx, id: number): Promise<void>;
}

export function defineResource<R, X = undefined>(def: ResourceDef<R, X>): ResourceDef<R, X> {
  return def;
}

/** Field helpers: the getter is the single source of both the JSON value and the documented range. */
export const field = <R, X = any>(range: Range, get: FieldDef<R, X>["get"], opts: Omit<FieldDef<R, X>, "range" | "get"> = {}): FieldDef<R, X> => ({
  range,
  get,
  ...opts,
});

export function context(c: Context<AppEnv>): Ctx {
  const p = c.var.principal;
  // Campaign-publisher API keys are refused by authenticate() on v4; this guards the type.
  if (p.kind !== "user") throw new ApiError("UNAUTHORIZED", "Authentication required.");
  return {
    env: c.env,
    db: getDb(c.env),
    principal: p,
    isAdmin: p.role === "admin",
    publisherId: p.role === "admin" ? null : p.publisherId ?? -1,
    now: Date.now(),
  };
}

function accessCondition(def: ResourceDef, ctx: Ctx): SQL | undefined {
  const base = def.base?.(ctx);
  if (ctx.isAdmin) return base;
  const scope = def.scope(ctx);
  if (scope === "admin") throw new ApiError("FORBIDDEN", "Access denied.");
  return and(base, scope);
}

const idOf = <R>(def: ResourceDef<R>, row: R) => (def.idOf ? def.idOf(row) : (row as { id: number }).id);

/** The subquery of loaded rows' ids (and pageColumns) that preload reads, from one JSON parameter. */
function loadedRows<R>(def: ResourceDef<R>, rows: R[]): SQL {
  const columns = def.pageColumns ?? [];
  if (columns.length === 0) return valueList(rows.map((r) => idOf(def, r)));
  const keys = columns.map((c) => columnKey(def.table, c));
  const values = rows.map((r) => [idOf(def, r), ...keys.map((k) => (r as Record<string, unknown>)[k])]);
  const select = sql.raw(["$[0]", ...keys.map((_, i) => `$[${i + 1}]`)].map((path) => `json_extract(value, '${path}')`).join(", "));
  return sql`(SELECT ${select} FROM json_each(${JSON.stringify(values)}))`;
}

/** The key of a table's column in its rows (drizzle's property name). */
function columnKey(table: SQLiteTable, column: SQLiteColumn): string {
  const found = Object.entries(getTableColumns(table)).find(([, c]) => c === column);
  if (!found) throw new Error(`column ${column.name} is not a column of the resource's table`);
  return found[0];
}

async function extraOf<R, X>(def: ResourceDef<R, X>, ctx: Ctx, rows: R[]): Promise<X> {
  if (def.load) return def.load(ctx, rows);
  if (!def.preload) return undefined as X;
  const p = def.preload(ctx, loadedRows(def, rows));
  return p.build(rows, await runBatch(ctx.env.DB, compile(p.statements)));
}

/**
 * A record of `keys`, in order, each null, for items and rows to start as spread copies of: V8
 * gives a parsed object all its properties in the object itself and a spread copy keeps that
 * layout, so a copy's properties are set rather than added one by one (the object's storage grown
 * and its layout changed at each), and JSON.stringify of a page of such items ran about three times
 * faster in workerd than of items grown key by key. Copying is cheaper than parsing per row.
 */
function emptyRecord(keys: string[]): Record<string, unknown> {
  return JSON.parse(JSON.stringify(Object.fromEntries(keys.map((key) => [key, null])))) as Record<string, unknown>;
}

/** The JSON-LD items of rows; `extra` when the caller already read it (a collection's preload). */
export async function serialize<R, X>(def: ResourceDef<R, X>, ctx: Ctx, rows: R[], extra?: X): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const x = extra ?? (await extraOf(def, ctx, rows));
  // The fields this caller sees, once per page rather than once per row.
  const fields = Object.entries(def.fields).filter(([, f]) => ctx.isAdmin || !f.adminOnly);
  // Each item starts as a copy of the page's empty item (emptyRecord).
  const empty = emptyRecord(["@id", "@type", ...fields.map(([name]) => name)]);
  // Names and getters as two arrays walked by index: no entry array destructured per field and row.
  const names = fields.map(([name]) => name);
  const getters = fields.map(([, f]) => f.get);
  const idPrefix = iriPrefix(def.path);
  return rows.map((row) => {
    const out = { ...empty };
    out["@id"] = idPrefix + idOf(def, row);
    out["@type"] = def.type;
    for (let i = 0; i < names.length; i++) out[names[i]!] = getters[i]!(row, x, ctx);
    return out;
  });
}

/**
 * A collection's rows, each read as one JSON array of its columns (SQLite's json_array) and decoded
 * as drizzle decodes a row (each column's mapFromDriverValue, null kept). The D1 client turns every
 * result row of a batch into an object keyed by column name, and drizzle maps those back to arrays
 * and then into its own objects: for a page of wide rows (100 leads of 40 columns) that was the
 * largest single part of the page's CPU; one text column per row leaves little to convert.
 * SQLite writes REAL values with round-trip precision, so numbers decode as D1 would give them;
 * a BLOB column cannot go into json_array (no table served by a resource has one).
 */
interface RowReader {
  select: SQL<string>;
  read(json: string): unknown;
}
const rowReaders = new WeakMap<object, RowReader>();

function rowReader(table: SQLiteTable | SQLiteView): RowReader {
  let reader = rowReaders.get(table);
  if (reader) return reader;
  const columns = Object.entries(is(table, SQLiteTable) ? getTableColumns(table) : getViewSelectedFields(table)) as [string, SQLiteColumn][];
  const keys = columns.map(([key]) => key);
  // Most columns keep the driver's value (drizzle's default mapping): only the others are called,
  // instead of 40 calls a row through one call site that sees every column type.
  const decoders = columns.map(([, c]) => (c.mapFromDriverValue === Column.prototype.mapFromDriverValue ? null : c));
  // Rendered once: drizzle would otherwise render the column list again for every page.
  const list = new SQLiteAsyncDialect().sqlToQuery(sql`json_array(${sql.join(columns.map(([, c]) => c), sql`, `)})`);
  // Each row starts as a copy of the empty row (emptyRecord), as serialize's items do.
  const empty = emptyRecord(keys);
  reader = {
    select: sql.raw(list.sql) as SQL<string>,
    read(json) {
      const values = JSON.parse(json) as unknown[];
      const row = { ...empty };
      for (let i = 0; i < columns.length; i++) {
        const value = values[i];
        const decoder = decoders[i];
        row[keys[i]!] = value === null || decoder === null ? value : decoder.mapFromDriverValue(value);
      }
      return row;
    },
  };
  rowReaders.set(table, reader);
  return reader;
}

/** Loads one visible item (404 when it does not exist or the caller may not see it). */
export async function findRow<R>(def: ResourceDef<R>, ctx: Ctx, id: number): Promise<R> {
  const row = await ctx.db
    .select()
    .from(def.table as any)
    .where(and(def.idWhere?.(id) ?? sql`${def.id} = ${id}`, accessCondition(def as ResourceDef, ctx)))
    .get();
  if (!row) throw new ApiError("NOT_FOUND", "Not Found");
  return row as R;
}

export async function renderItem(def: ResourceDef, ctx: Ctx, id: number) {
  const row = await findRow(def, ctx, id);
  return (await serialize(def, ctx, [row]))[0]!;
}

const itemId = (c: Context) => Number(c.req.param("id"));

/**
 * A collection page's statements, one D1 batch: the count (or the resource's running total), the
 * rows (each one json_array text column, see rowReader) and the preload's relations, which read
 * the page's own query as a subquery. Their texts are rendered once per shape (statements.ts).
 */
export function collectionStatements(def: ResourceDef, ctx: Ctx, q: QueryParams) {
  const { page, itemsPerPage } = paging(q);
  const conditions = def.filters.map((f) => f.where?.(q, ctx));
  const where = and(accessCondition(def, ctx), ...conditions);
  const order = sql.join(orderBy(q, def.filters, def.id, def.defaultOrder, ctx), sql`, `);
  const active = def.filters.filter((_, i) => conditions[i] !== undefined);
  const offset = (page - 1) * itemsPerPage;
  const from = sql`from ${def.table}${where ? sql` where ${where}` : undefined}`;
  const slice = sql`order by ${order} limit ${itemsPerPage} offset ${offset}`;
  const reader = rowReader(def.table as SQLiteTable | SQLiteView);
  const pageColumns = (def.pageColumns ?? []).map((c) => sql`, ${c}`);
  const preload = def.preload?.(ctx, sql`(select ${def.id}${sql.join(pageColumns)} ${from} ${slice})`);
  const statements = compile([
    def.total?.(ctx, q, active) ?? sql`select count(*) as n ${from}`,
    sql`select ${reader.select} as row ${from} ${slice}`,
    ...(preload?.statements ?? []),
  ]);
  return { page, itemsPerPage, statements, preload, reader };
}

// The query string of a request, parsed once for the collection and the middleware around it
// (an email lookup of /leads reads it again after the page).
const queries = new WeakMap<Request, QueryParams>();
export function queryOf(c: Context): QueryParams {
  let q = queries.get(c.req.raw);
  if (q === undefined) queries.set(c.req.raw, (q = new QueryParams(c.req.url)));
  return q;
}

async function getCollection(c: Context<AppEnv>, def: ResourceDef) {
  const ctx = context(c);
  const q = queryOf(c);
  const { page, itemsPerPage, statements, preload, reader } = collectionStatements(def, ctx, q);
  const [counted, read, ...related] = await runBatch(ctx.env.DB, statements);
  const rows = (read as { row: string }[]).map((r) => reader.read(r.row));
  const total = (counted![0]?.n as number | undefined) ?? 0;
  const path = `${API_PREFIX}/${def.path}`;
  const view = partialView(path, q, page, itemsPerPage, total);
  return ld(c, {
    "@context": `${API_PREFIX}/contexts/${def.type}`,
    "@id": path,
    "@type": "hydra:Collection",
    "hydra:member": await serialize(def, ctx, rows, preload?.build(rows, related)),
    "hydra:totalItems": total,
    ...(view ? { "hydra:view": view } : {}),
    "hydra:search": searchTemplateOf(def),
  });
}

// hydra:search of each resource: a function of its path and filters alone, made once per isolate.
const searchTemplates = new WeakMap<ResourceDef, ReturnType<typeof searchTemplate>>();
function searchTemplateOf(def: ResourceDef) {
  let template = searchTemplates.get(def);
  if (!template) searchTemplates.set(def, (template = searchTemplate(`${API_PREFIX}/${def.path}`, def.filters)));
  return template;
}

export const itemBody = async (def: ResourceDef, ctx: Ctx, id: number) => ({
  "@context": `${API_PREFIX}/contexts/${def.type}`,
  ...(await renderItem(def, ctx, id)),
});

/** Writes are for admins: staff run the enterprise; publishers only read their own data. */
export function requireAdminCtx(ctx: Ctx) {
  if (!ctx.isAdmin) throw new ApiError("FORBIDDEN", "Access denied.");
}

export function methodNotAllowed(allowed: string[]) {
  return (c: Context) => {
    throw new ApiError("METHOD_NOT_ALLOWED", `No route for "${c.req.method} ${new URL(c.req.url).pathname}": method not allowed.`, {
      headers: { Allow: allowed.join(", ") },
    });
  };
}

/** Registers the routes of a resource: collection, item, declared writes, then 405 for the rest. */
export function mountResource(app: Hono<AppEnv>, def: ResourceDef) {
  const collectionPath = `/${def.path}`;
  const itemPath = `/${def.path}/:id{[0-9]+}`;
  const auth = authenticate();

  app.get(collectionPath, auth, (c) => getCollection(c, def));
  app.get(itemPath, auth, async (c) => ld(c, await itemBody(def, context(c), itemId(c))));

  if (def.create) {
    const op = def.create;
    app.post(collectionPath, auth, async (c) => {
      const ctx = context(c);
      requireAdminCtx(ctx);
      const data = validate(op.schema, await readJsonObject(c, "json"));
      const id = await op.run(ctx, data);
      return ld(c, await itemBody(def, ctx, id), 201, { "Content-Location": iri(def.path, id) });
    });
  }
  const itemWrite = (op: WriteOp<any>, kind: "json" | "merge-patch") => async (c: Context<AppEnv>) => {
    const ctx = context(c);
    const id = itemId(c);
    await findRow(def, ctx, id); // 404 before 403: nothing is revealed about invisible items
    requireAdminCtx(ctx);
    const data = validate(op.schema, await readJsonObject(c, kind));
    await op.run(ctx, data, id);
    return ld(c, await itemBody(def, ctx, id));
  };
  if (def.update) app.put(itemPath, auth, itemWrite(def.update, "json"));
  if (def.patch) app.patch(itemPath, auth, itemWrite(def.patch, "merge-patch"));
  if (def.remove) {
    const remove = def.remove;
    app.delete(itemPath, auth, async (c) => {
      const ctx = context(c);
      const id = itemId(c);
      await findRow(def, ctx, id);
      requireAdminCtx(ctx);
      await remove(ctx, id);
      return c.body(null, 204);
    });
  }
  app.all(collectionPath, methodNotAllowed(["GET", ...(def.create ? ["POST"] : [])]));
  app.all(
    itemPath,
    methodNotAllowed(["GET", ...(def.update ? ["PUT"] : []), ...(def.patch ? ["PATCH"] : []), ...(def.remove ? ["DELETE"] : [])]),
  );
}
