import { Column, Name, Param, Placeholder, SQL, StringChunk, Table, View } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

// A v4 collection's statements, rendered once per shape. drizzle renders a statement's text and
// its values together, on every request: for a page of leads, its three statements (count, rows,
// relations, the page's query embedded in two of them) took about 0.2 ms of a page's CPU. Here a
// statement is walked instead: every part that makes its text (strings, tables, columns, names)
// becomes a token of its shape, and its values are collected apart, in the order drizzle binds
// them. Two statements with the same tokens have the same text whatever their values (an IN list
// of another length, a publisher's scope, an optional condition all change the tokens), so the
// text rendered for the first request of a shape serves every later one, and values are always
// bound parameters, never part of the text.

/** A statement to run: its text and its bound values. */
export interface Statement {
  sql: string;
  params: unknown[];
}

const dialect = new SQLiteAsyncDialect();

// Token ids: strings by value, drizzle's tables, views and columns by identity.
const stringTokens = new Map<string, number>();
const objectTokens = new WeakMap<object, number>();
let nextToken = 0;
const PARAM = "\u0000?";

function token(key: number[], part: string | object) {
  if (typeof part === "string") {
    let id = stringTokens.get(part);
    if (id === undefined) stringTokens.set(part, (id = nextToken++));
    key.push(id);
    return;
  }
  let id = objectTokens.get(part);
  if (id === undefined) objectTokens.set(part, (id = nextToken++));
  key.push(id);
}

/**
 * Walks a chunk as drizzle's renderer does (SQL.buildQueryFromSourceParams), pushing its shape to
 * `key` and its values to `params`. False for what is not walked here (inlined values,
 * placeholders, aliases, subqueries, query builders): such a statement is rendered each time.
 */
function walk(chunk: unknown, key: number[], params: unknown[]): boolean {
  if (chunk instanceof StringChunk) {
    for (const s of chunk.value) token(key, s);
    return true;
  }
  if (chunk instanceof Name) {
    token(key, `\u0000N${chunk.value}`);
    return true;
  }
  if (chunk === undefined) return true;
  if (Array.isArray(chunk)) {
    token(key, "(");
    for (let i = 0; i < chunk.length; i++) {
      if (i > 0) token(key, ", ");
      if (!walk(chunk[i], key, params)) return false;
    }
    token(key, ")");
    return true;
  }
  if (chunk instanceof SQL) {
    // drizzle's sql.inlineParams() writes the values into the text (a private flag in its types).
    if ((chunk as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return false;
    for (const c of chunk.queryChunks) if (!walk(c, key, params)) return false;
    return true;
  }
  if (chunk instanceof Table || chunk instanceof Column || chunk instanceof View) {
    token(key, chunk);
    return true;
  }
  if (chunk instanceof Param) {
    if (chunk.value instanceof Placeholder) return false;
    const mapped = chunk.value === null ? null : chunk.encoder.mapToDriverValue(chunk.value);
    if (mapped instanceof SQL) return walk(mapped, key, params);
    token(key, PARAM);
    params.push(mapped);
    return true;
  }
  if (chunk !== null && typeof chunk === "object") {
    // Placeholders, aliases, subqueries, builders and other drizzle entities are not walked;
    // plain objects are values to drizzle (bound as they are), so they are too.
    if (Object.getPrototypeOf(chunk) !== Object.prototype) return false;
  }
  token(key, PARAM);
  params.push(chunk);
  return true;
}

// Texts by shape: a batch's key, its statements' texts. Bounded, since a shape that is not
// walked to the end is never stored, and every stored one is as cheap to find as to render.
const texts = new Map<string, string[]>();
const MAX_SHAPES = 512;

const sameParams = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * The statements' texts and values: from the texts of their shape when it was rendered before,
 * else rendered by drizzle (and kept, when the walk found exactly the values drizzle binds).
 */
export function compile(statements: SQL[]): Statement[] {
  const key: number[] = [];
  const values: unknown[][] = [];
  let walked = true;
  for (const statement of statements) {
    const params: unknown[] = [];
    walked &&= walk(statement, key, params);
    key.push(-1);
    values.push(params);
  }
  const shape = walked ? key.join(",") : undefined;
  const known = shape === undefined ? undefined : texts.get(shape);
  if (known) return known.map((sql, i) => ({ sql, params: values[i]! }));
  const rendered = statements.map((s) => dialect.sqlToQuery(s));
  if (shape !== undefined && rendered.every((r, i) => sameParams(r.params, values[i]!))) {
    if (texts.size >= MAX_SHAPES) {
      texts.clear();
      stringTokens.clear();
    }
    texts.set(shape, rendered.map((r) => r.sql));
  }
  return rendered.map((r) => ({ sql: r.sql, params: r.params }));
}

/** Runs statements as one D1 batch; each statement's rows, as D1 gives them (objects by column name). */
export async function runBatch(db: D1Database, statements: Statement[]): Promise<Record<string, unknown>[][]> {
  if (statements.length === 0) return [];
  const results = await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
  return results.map((r) => r.results as Record<string, unknown>[]);
}
