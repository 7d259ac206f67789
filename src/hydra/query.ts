import { type SQL, type SQLWrapper, asc, desc, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { ApiError } from "../errors";
import type { Ctx } from "./resource";

// Filters in API Platform's conventions (API Platform's documentation). A filter is declared once on a
// resource and yields both its SQL (parameterised, index-friendly) and its hydra:search mapping.

export interface Mapping {
  variable: string;
  property: string;
}

/** The query string as the client sent it, in order (ordering depends on the order of order[...]). */
export class QueryParams {
  readonly entries: [string, string][];
  constructor(url: string) {
    this.entries = [...new URL(url).searchParams.entries()];
  }
  all(key: string): string[] {
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }
  /**
   * The values of a list parameter, `name[]=a&name[]=b` or indexed `name[0]=a&name[1]=b`: PHP reads
   * both as a list, so API Platform does, and API Platform Admin sends the indexed form (getMany).
   */
  list(name: string): string[] {
    return this.entries.filter(([k]) => k.startsWith(name) && /^\[\d{0,9}\]$/.test(k.slice(name.length))).map(([, v]) => v);
  }
  /** One value; a parameter given twice with different values is ambiguous. */
  one(key: string): string | undefined {
    const values = [...new Set(this.all(key))];
    if (values.length > 1) throw badFilter(key, "is given more than once");
    return values[0];
  }
}

export const badFilter = (variable: string, problem: string) =>
  new ApiError("BAD_REQUEST", `Invalid value for the "${variable}" filter: ${problem}.`);

export interface Filter {
  mappings: Mapping[];
  /** Conditions from the query string (several filters are ANDed); ctx is the caller, for filters that depend on it. */
  where?(q: QueryParams, ctx?: Ctx): SQL | undefined;
  /** Orderable properties this declaration adds, in template order. */
  order?: Record<string, OrderExpr>;
  /** The parsed values of an exact filter (undefined when the query string does not use it). */
  values?(q: QueryParams): (string | number)[] | undefined;
}

/**
 * What an ordering sorts by: a column or expression, or one that depends on the caller (a publisher
 * user sorts by its own figures; undefined when the ordering is not offered to it and is ignored).
 */
export type OrderExpr = SQLiteColumn | SQL | ((ctx: Ctx) => SQL | undefined);

type Target = SQLiteColumn | SQL | ((list: SQL, values: (string | number)[]) => SQL);

/** The subquery of `values` as rows of `value`, from one bound parameter (D1 caps bound parameters at 100). */
export const valueList = (values: readonly (string | number)[]) => sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;

/** `col IN (values)` with one bound parameter, however many values. */
export function inList(target: Target, values: (string | number)[]): SQL {
  const list = valueList(values);
  if (typeof target === "function") return target(list, values);
  return values.length === 1 ? sql`${target} = ${values[0]}` : sql`${target} IN ${list}`;
}

export type ValueParser = (raw: string, variable: string) => string | number;

/** Integer ids; relations also take an IRI (`/api/v4/leads/5`), as API Platform allows. */
export const intValue: ValueParser = (raw, variable) => {
  const m = /^(?:\/api\/v4\/[a-z-]+\/)?(\d{1,15})$/.exec(raw.trim());
  if (!m) throw badFilter(variable, "expected an integer id or an IRI");
  return Number(m[1]);
};
export const stringValue: ValueParser = (raw, variable) => {
  if (raw.length > 1000) throw badFilter(variable, "too long");
  return raw;
};
export const enumValue =
  (allowed: readonly string[]): ValueParser =>
  (raw, variable) => {
    if (!allowed.includes(raw)) throw badFilter(variable, `expected one of ${allowed.join(", ")}`);
    return raw;
  };
export const boolValue: ValueParser = (raw, variable) => {
  if (raw === "true" || raw === "1") return 1;
  if (raw === "false" || raw === "0") return 0;
  throw badFilter(variable, "expected true or false");
};

/**
 * SearchFilter, strategy exact: `prop=v`, and `prop[]=v1&prop[]=v2` for several values (IN).
 * `target` is a column, or a function building the condition from the list of values (relations
 * reached through a subquery).
 */
export function exact(property: string, target: Target, parse: ValueParser, options: { many?: boolean } = {}): Filter {
  const many = options.many ?? true;
  const values = (q: QueryParams) => {
    const all = [
      ...q.all(property).map((v) => parse(v, property)),
      ...(many ? q.list(property).map((v) => parse(v, `${property}[]`)) : []),
    ];
    if (all.length === 0) return undefined;
    if (all.length > 100) throw badFilter(property, "at most 100 values");
    return [...new Set(all)];
  };
  return {
    mappings: [{ variable: property, property }, ...(many ? [{ variable: `${property}[]`, property }] : [])],
    values,
    where(q) {
      const v = values(q);
      return v && inList(target, v);
    },
  };
}

/** SearchFilter, strategy ipartial: `prop=v` matches values containing v, case-insensitively. */
export function partial(property: string, target: SQLiteColumn | ((like: string, raw: string) => SQL)): Filter {
  return {
    mappings: [{ variable: property, property }],
    where(q) {
      const raw = q.one(property);
      if (raw === undefined) return undefined;
      const like = `%${String(stringValue(raw, property)).replace(/[\\%_]/g, (ch: string) => `\\${ch}`)}%`;
      return typeof target === "function" ? target(like, raw) : sql`${target} LIKE ${like} ESCAPE '\\'`;
    },
  };
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseDate(raw: string, variable: string): number {
  const s = raw.trim();
  if (!DATE_RE.test(s)) throw badFilter(variable, "expected a date (YYYY-MM-DD) or an ISO 8601 date-time");
  const ms = Date.parse(s.replace(" ", "T").replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  if (Number.isNaN(ms)) throw badFilter(variable, "not a valid date");
  return ms;
}

const DATE_OPERATORS = [
  ["before", "<="],
  ["strictly_before", "<"],
  ["after", ">="],
  ["strictly_after", ">"],
] as const;

/**
 * DateFilter: `prop[before|strictly_before|after|strictly_after]=date` (before/after include the date).
 * `search` turns the conditions into the SQL that finds them (for a column indexed in parts).
 */
export function dateFilter(property: string, column: SQLiteColumn, search: (conds: SQL) => SQL = (conds) => conds): Filter {
  return {
    mappings: DATE_OPERATORS.map(([op]) => ({ variable: `${property}[${op}]`, property })),
    where(q) {
      const conds: SQL[] = [];
      for (const [op, cmp] of DATE_OPERATORS) {
        const variable = `${property}[${op}]`;
        const raw = q.one(variable);
        if (raw === undefined) continue;
        conds.push(sql`${column} ${sql.raw(cmp)} ${parseDate(raw, variable)}`);
      }
      return conds.length ? search(sql.join(conds, sql` AND `)) : undefined;
    },
  };
}

/** OrderFilter: `order[prop]=asc|desc` for each declared property. */
export function orderFilter(order: Record<string, OrderExpr>): Filter {
  return {
    mappings: Object.keys(order).map((p) => ({ variable: `order[${p}]`, property: p })),
    order,
  };
}

/** A filter with its own condition (computed properties such as a campaign's derived status). */
export function customFilter(mappings: Mapping[], where: (q: QueryParams) => SQL | undefined): Filter {
  return { mappings, where };
}

/** The ORDER BY of a request: order[...] parameters in the order given, then the id for stable pages. */
export function orderBy(q: QueryParams, filters: Filter[], id: SQLiteColumn | SQL, fallback: SQL[] = [], ctx?: Ctx): SQL[] {
  // A Map of the declared properties only: order[constructor] must not find Object.prototype's.
  const known = new Map(filters.flatMap((f) => Object.entries(f.order ?? {})));
  const out: SQL[] = [];
  for (const [key, raw] of q.entries) {
    const m = /^order\[(.+)\]$/.exec(key);
    if (!m) continue;
    const declared = known.get(m[1]!);
    const expr: SQLWrapper | undefined = typeof declared === "function" ? (ctx ? declared(ctx) : undefined) : declared;
    if (!expr) continue; // API Platform ignores orderings it does not offer
    const dir = raw.toLowerCase();
    if (dir !== "asc" && dir !== "desc") throw badFilter(key, "expected asc or desc");
    out.push(dir === "asc" ? asc(expr as SQLiteColumn) : desc(expr as SQLiteColumn));
  }
  if (out.length === 0) out.push(...fallback);
  out.push(asc(id));
  return out;
}

export const MAX_ITEMS_PER_PAGE = 100;
export const DEFAULT_ITEMS_PER_PAGE = 30;

/**
 * How deep a page may reach: page × itemsPerPage rows. An OFFSET makes the database walk every
 * row before the page, so deeper pages cost more and more; past this, narrow with filters.
 */
export const MAX_PAGING_DEPTH = 10_000;

/**
 * `page` (1-based) and `itemsPerPage` (default 30; above 100 it is clamped to 100, as API Platform
 * does); a 400 when page × itemsPerPage is past MAX_PAGING_DEPTH.
 */
export function paging(q: QueryParams): { page: number; itemsPerPage: number } {
  const num = (key: string, fallback: number) => {
    const raw = q.one(key);
    if (raw === undefined) return fallback;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw badFilter(key, "expected a positive integer");
    return Number(raw);
  };
  const page = num("page", 1);
  const itemsPerPage = Math.min(num("itemsPerPage", DEFAULT_ITEMS_PER_PAGE), MAX_ITEMS_PER_PAGE);
  if (page * itemsPerPage > MAX_PAGING_DEPTH) {
    throw badFilter(
      "page",
      `page × itemsPerPage may be at most ${MAX_PAGING_DEPTH} (page ${Math.floor(MAX_PAGING_DEPTH / itemsPerPage)} at ${itemsPerPage} per page); narrow the collection with filters to reach older items`,
    );
  }
  return { page, itemsPerPage };
}

/** hydra:search, listing every variable the resource's filters take. */
export function searchTemplate(path: string, filters: Filter[]) {
  const mappings = filters.flatMap((f) => f.mappings);
  return {
    "@type": "hydra:IriTemplate",
    "hydra:template": `${path}{?${mappings.map((m) => m.variable).join(",")}}`,
    "hydra:variableRepresentation": "BasicRepresentation",
    "hydra:mapping": mappings.map((m) => ({
      "@type": "IriTemplateMapping",
      variable: m.variable,
      property: m.property,
      required: false,
    })),
  };
}

/**
 * hydra:view: the current page and its neighbours, each URL carrying the other query parameters
 * unchanged with `page` last (API Platform's IriHelper). A single page has no first/last links.
 */
export function partialView(path: string, q: QueryParams, page: number, itemsPerPage: number, total: number) {
  const lastPage = Math.max(1, Math.ceil(total / itemsPerPage));
  const others = q.entries.filter(([k]) => k !== "page");
  // The other parameters encoded once; `page` and its digits need no encoding.
  const query = new URLSearchParams(others).toString();
  const url = (p: number) => `${path}?${query === "" ? "" : `${query}&`}page=${p}`;
  if (lastPage === 1 && page === 1) {
    if (others.length === 0) return undefined;
    return { "@id": `${path}?${query}`, "@type": "hydra:PartialCollectionView" };
  }
  return {
    "@id": url(page),
    "@type": "hydra:PartialCollectionView",
    "hydra:first": url(1),
    "hydra:last": url(lastPage),
    ...(page > 1 ? { "hydra:previous": url(Math.min(page - 1, lastPage)) } : {}),
    ...(page < lastPage ? { "hydra:next": url(page + 1) } : {}),
  };
}
