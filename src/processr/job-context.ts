import { and, count, eq, gte, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { leads } from "../db/schema";
import type { Env } from "../env";
import { normaliseEmail } from "../leads/email";
import { createListLookup } from "../lists/lookup";
import { groupBy } from "../lib/group-by";
import type { JobContext, JobHistory } from "./types";

// D1 implementation of the history queries the duplicate, rate and activity jobs use.
//
// Emails are stored normalised (src/leads/email.ts); lower(email) is still what is compared, as
// the expression index leads_email_lower_idx is built on it. IP lookups use
// leads_ip_created_idx (ip, created_ts); campaign-only lookups use leads_campaign_idx.

/** The SQL expression the email index is built on; the query must use the same one to hit it. */
export const leadEmailLower = sql`lower(${leads.email})`;

type CountQuery = Parameters<JobHistory["countOtherLeads"]>[0];
type CountKey = "id" | "campaignId" | "publisherId" | "email" | "ip" | "sinceTs";
type CountValues = Partial<Record<CountKey, number | string>>;

/** What a count compares with, by name (the email normalised as stored); the keys a count has not are absent. */
function countValues(q: CountQuery): CountValues {
  const values: CountValues = { id: q.lead.id };
  if (q.campaignId !== undefined) values.campaignId = q.campaignId;
  if (q.publisherId !== undefined) values.publisherId = q.publisherId;
  if (q.email !== undefined) values.email = normaliseEmail(q.email) ?? "";
  if (q.ip !== undefined) values.ip = q.ip;
  if (q.sinceTs !== undefined) values.sinceTs = q.sinceTs;
  return values;
}

/** The conditions of a count, each value given by `value` (a bound value, or a column of the batch's row). */
function otherLeadsWhere(q: CountQuery, value: (key: CountKey) => SQL): SQL | undefined {
  const where: (SQL | undefined)[] = [
    // Earlier by id, the order of capture's inserts: two leads never count each other, and the
    // later of two leads captured in the same millisecond is the one that counts the other.
    lt(leads.id, value("id")),
    isNull(leads.deletedTs),
  ];
  // With an email or an IP, the campaign and publisher terms are written `+column` (no index term),
  // so that SQLite searches that email's or IP's few leads instead of walking the campaign index
  // down from this lead's id.
  const narrow = q.email !== undefined || q.ip !== undefined;
  const term = (c: typeof leads.campaignId | typeof leads.publisherId) => (narrow ? sql`+${c}` : c);
  if (q.campaignId !== undefined) where.push(sql`${term(leads.campaignId)} = ${value("campaignId")}`);
  if (q.publisherId !== undefined) where.push(sql`${term(leads.publisherId)} = ${value("publisherId")}`);
  if (q.email !== undefined) where.push(eq(leadEmailLower, value("email")));
  if (q.ip !== undefined) where.push(eq(leads.ip, value("ip")));
  if (q.sinceTs !== undefined) where.push(gte(leads.createdTs, value("sinceTs")));
  if (q.flags) {
    where.push(
      or(
        ...q.flags.map((f) =>
          f === null
            ? isNull(leads.flag)
            : f === "Billable" ? and(eq(leads.flag, "Valid"), eq(leads.advertiserBillable, true)) : eq(leads.flag, f),
        ),
      ),
    );
  }
  return and(...where);
}

/** The count query of countOtherLeads (exported so that tests can check its query plan). */
export function otherLeadsQuery(db: Db, q: CountQuery) {
  const values = countValues(q);
  return db.select({ n: count() }).from(leads).where(otherLeadsWhere(q, (key) => sql`${values[key]!}`));
}

/** Counts with the same conditions (countShape) but their own values. */
const countShape = (q: CountQuery) => JSON.stringify([Object.keys(countValues(q)), q.flags ?? null]);

/**
 * Counts of one shape (countShape) as ONE statement, one row per count in order: the count query
 * run for each row of a JSON array of their values (exported so that tests can check its plan; a
 * value read from the row is a constant of the count, so it searches the same indexes).
 */
export function otherLeadsCountsQuery(db: Db, qs: readonly CountQuery[]) {
  const rows = JSON.stringify(qs.map(countValues));
  const inner = db.select({ n: count() }).from(leads).where(otherLeadsWhere(qs[0]!, (key) => sql.raw(`(q.value ->> '$.${key}')`)));
  return db.select({ n: sql<number>`(${inner})` }).from(sql`json_each(${rows}) q`).orderBy(sql`q.key`);
}

export function createJobContext(env: Pick<Env, "DB">, now: number, shared = createBatchLookups(env)): JobContext {
  return { ...shared, now };
}

/** The lookups the leads of one queue batch share (each batches its callers' queries into one round trip). */
export function createBatchLookups(env: Pick<Env, "DB">): Omit<JobContext, "now"> {
  return { history: createJobHistory(env), lists: createListLookup(env) };
}

/**
 * The history of one queue batch. Its leads run their jobs concurrently, so the counts they ask
 * for in the same turn of the event loop go to D1 as one batch (one round trip instead of one per
 * lead); each caller still gets its own count, and a failed batch fails each of its callers.
 */
export function createJobHistory(env: Pick<Env, "DB">): JobHistory {
  const db = getDb(env);
  type Pending = { q: CountQuery; resolve: (n: number) => void; reject: (e: unknown) => void };
  let pending: Pending[] = [];
  const flush = async () => {
    const todo = pending;
    pending = [];
    // One statement per shape of count: a lone count as itself, several as otherLeadsCountsQuery.
    const groups = [...groupBy(todo, (p) => countShape(p.q)).values()];
    try {
      const [first, ...rest] = groups.map((g) => (g.length === 1 ? otherLeadsQuery(db, g[0]!.q) : otherLeadsCountsQuery(db, g.map((p) => p.q))));
      const results = await db.batch([first!, ...rest]);
      groups.forEach((g, i) => g.forEach((p, j) => p.resolve(results[i]![j]?.n ?? 0)));
    } catch (e) {
      for (const p of todo) p.reject(e);
    }
  };
  return {
    countOtherLeads(q) {
      // No flag accepted: nothing can match.
      if (q.flags && q.flags.length === 0) return Promise.resolve(0);
      return new Promise<number>((resolve, reject) => {
        // After the current turn, so that the other leads' jobs of this batch can join.
        if (pending.length === 0) setTimeout(flush, 0);
        pending.push({ q, resolve, reject });
      });
    },
  };
}
