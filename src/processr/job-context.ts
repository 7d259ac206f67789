import { and, count, eq, gte, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { leads } from "../db/schema";
import type { Env } from "../env";
import { normaliseEmail } from "../leads/email";
import { createListLookup } from "../lists/lookup";
import type { JobContext, JobHistory } from "./types";

// D1 implementation of the history queries the duplicate, rate and activity jobs use.
//
// Emails are stored normalised (src/leads/email.ts); lower(email) is still what is compared, as
// the expression index leads_email_lower_idx is built on it. IP lookups use
// leads_ip_created_idx (ip, created_ts); campaign-only lookups use leads_campaign_idx.

/** The SQL expression the email index is built on; the query must use the same one to hit it. */
export const leadEmailLower = sql`lower(${leads.email})`;

type CountQuery = Parameters<JobHistory["countOtherLeads"]>[0];

/** The count query of countOtherLeads (exported so that tests can check its query plan). */
export function otherLeadsQuery(db: Db, q: CountQuery) {
  const { lead } = q;
  const where: (SQL | undefined)[] = [
    // Earlier by id, the order of capture's inserts: two leads never count each other, and the
    // later of two leads captured in the same millisecond is the one that counts the other.
    lt(leads.id, lead.id),
    isNull(leads.deletedTs),
  ];
  // With an email or an IP, the campaign and publisher terms are written `+column` (no index term),
  // so that SQLite searches that email's or IP's few leads instead of walking the campaign index
  // down from this lead's id.
  const narrow = q.email !== undefined || q.ip !== undefined;
  const term = (c: typeof leads.campaignId | typeof leads.publisherId) => (narrow ? sql`+${c}` : c);
  if (q.campaignId !== undefined) where.push(sql`${term(leads.campaignId)} = ${q.campaignId}`);
  if (q.publisherId !== undefined) where.push(sql`${term(leads.publisherId)} = ${q.publisherId}`);
  if (q.email !== undefined) where.push(eq(leadEmailLower, normaliseEmail(q.email) ?? ""));
  if (q.ip !== undefined) where.push(eq(leads.ip, q.ip));
  if (q.sinceTs !== undefined) where.push(gte(leads.createdTs, q.sinceTs));
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
  return db.select({ n: count() }).from(leads).where(and(...where));
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
    try {
      const [first, ...rest] = todo.map((p) => otherLeadsQuery(db, p.q));
      const results = await db.batch([first!, ...rest]);
      todo.forEach((p, i) => p.resolve(results[i]![0]?.n ?? 0));
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
