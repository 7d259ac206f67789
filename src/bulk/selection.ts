import { type SQL, and, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { leads } from "../db/schema";
import { ApiError } from "../errors";
import { parseCsv } from "../http/csv";
import { inList, QueryParams } from "../hydra/query";
import type { Ctx } from "../hydra/resource";
import { unprocessable } from "../hydra/write";
import { leadResource } from "../routes/v4/leads";

// Which leads a bulk request is about: given by id (or IRI), by lead hash, by a v4 lead filter
// (the query string /api/v4/leads takes), or by an uploaded CSV of ids or hashes. Unknown ids and
// hashes, and CSV rows that are neither, are reported on the job as failed items; they never fail
// the request.

/** The most leads one bulk request may select. */
export const MAX_BULK_LEADS = 100_000;

export interface Refused {
  input: string;
  message: string;
}

export interface Selection {
  /** The selected leads, as a condition on `leads`. */
  where: SQL;
  /** Ids and hashes asked for by name (their unknown ones become refused items). */
  ids: number[];
  hashes: string[];
  /** Inputs refused before any lookup (bad CSV rows). */
  refused: Refused[];
}

const ID = /^(?:\/api\/v4\/leads\/)?(\d{1,15})$/;
const HASH = /^[A-Za-z0-9_-]{1,64}$/;
const HEADER = /^(?:id|lead ?id|lead ?hash|hash)$/i;

export const selectionShape = {
  leads: z.array(z.union([z.number().int().positive(), z.string().regex(ID, "Expected a lead id or IRI.")])).min(1).max(10_000).optional(),
  leadHashes: z.array(z.string().regex(HASH, "Expected a lead hash.")).min(1).max(10_000).optional(),
  filter: z.string().max(4000).optional(),
};

/** The ids, hashes or filter of a JSON body: exactly one of them. */
export function fromJson(ctx: Ctx, body: { leads?: (number | string)[]; leadHashes?: string[]; filter?: string }, live: boolean): Selection {
  const given = (["leads", "leadHashes", "filter"] as const).filter((k) => body[k] !== undefined);
  if (given.length !== 1) {
    throw unprocessable([{ propertyPath: given[1] ?? "leads", message: 'Choose the leads with exactly one of "leads", "leadHashes", "filter" or a CSV "file".' }]);
  }
  if (body.filter !== undefined) return fromFilter(ctx, body.filter, live);
  const ids = (body.leads ?? []).map((v) => (typeof v === "number" ? v : Number(ID.exec(v)![1])));
  return byName(ids, body.leadHashes ?? [], [], live);
}

function byName(ids: number[], hashes: string[], refused: Refused[], live: boolean): Selection {
  const u = { ids: [...new Set(ids)], hashes: [...new Set(hashes)] };
  const named = or(u.ids.length ? inList(leads.id, u.ids) : undefined, u.hashes.length ? inList(leads.leadHash, u.hashes) : undefined) ?? sql`0`;
  return { where: and(named, live ? isNull(leads.deletedTs) : undefined)!, ...u, refused };
}

/** A v4 lead filter ("campaign.id=601&leadFlag.id=3"): the same filters and errors as /api/v4/leads. */
function fromFilter(ctx: Ctx, filter: string, live: boolean): Selection {
  const q = new QueryParams(`http://filter/?${filter.replace(/^\?/, "")}`);
  const conditions = leadResource.filters.map((f) => f.where?.(q, ctx)).filter((c): c is SQL => c !== undefined);
  if (conditions.length === 0) {
    throw unprocessable([{ propertyPath: "filter", message: "The filter uses none of the /api/v4/leads filters (a bulk request never means every lead by default)." }]);
  }
  return { where: and(live ? isNull(leads.deletedTs) : undefined, ...conditions)!, ids: [], hashes: [], refused: [] };
}

/** An uploaded CSV: one id or lead hash per row (first column; an optional header row). */
export function fromCsv(text: string, live: boolean): Selection {
  const rows = parseCsv(text.replace(/^\uFEFF/, ""));
  if (rows === null) throw unprocessable([{ propertyPath: "file", message: "The CSV file has a quoted field that is never closed." }]);
  if (rows.length > MAX_BULK_LEADS + 1) {
    throw unprocessable([{ propertyPath: "file", message: `The CSV file has more than ${MAX_BULK_LEADS} rows.` }]);
  }
  const ids: number[] = [];
  const hashes: string[] = [];
  const refused: Refused[] = [];
  rows.forEach((row, i) => {
    const value = (row[0] ?? "").trim();
    if (i === 0 && HEADER.test(value)) return;
    if (row.length === 1 && value === "") return; // blank line
    const id = ID.exec(value);
    if (id) ids.push(Number(id[1]));
    else if (HASH.test(value)) hashes.push(value);
    else refused.push({ input: value.slice(0, 100), message: `Row ${i + 1}: neither a lead id nor a lead hash.` });
  });
  if (ids.length + hashes.length + refused.length === 0) throw unprocessable([{ propertyPath: "file", message: "The CSV file lists no lead." }]);
  return byName(ids, hashes, refused, live);
}

export const tooMany = (n: number) =>
  new ApiError("BAD_REQUEST", `The selection has ${n} leads; a bulk request takes at most ${MAX_BULK_LEADS}. Narrow the filter.`);
