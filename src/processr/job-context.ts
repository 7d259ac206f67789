import { and, count, eq, gte, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { leads } from "../db/schema";
import type { Env } from "../env";
import type { JobContext, JobHistory } from "./types";

// D1 implementation of the history queries the duplicate, rate and activity jobs use.
//
// Emails are stored as captured, so they are compared lower-cased on both sides; the expression
// index leads_email_lower_idx (lower(email)) serves that comparison. IP lookups use
// leads_ip_created_idx (ip, created_ts); campaign-only lookups use leads_campaign_idx.

/** The SQL expression the email index is built on; the query must use the same one to hit it. */
export const leadEmailLower = sql`lower(${leads.email})`;

type CountQuery = Parameters<JobHistory["countOtherLeads"]>[0];

/** The count query of countOtherLeads (exported so that tests can check its query plan). */
export function otherLeadsQuery(db: Db, q: CountQuery) {
  const { lead } = q;
  const where: (SQL | undefined)[] = [
    ne(leads.id, lead.id),
    // Strictly earlier in (created_ts, id) order, so that two leads never count each other.
    or(lt(leads.createdTs, lead.createdTs), and(eq(leads.createdTs, lead.createdTs), lt(leads.id, lead.id))),
    isNull(leads.deletedTs),
  ];
  if (q.campaignId !== undefined) where.push(eq(leads.campaignId, q.campaignId));
  if (q.publisherId !== undefined) where.push(eq(leads.publisherId, q.publisherId));
  if (q.email !== undefined) where.push(eq(leadEmailLower, q.email.trim().toLowerCase()));
  if (q.ip !== undefined) where.push(eq(leads.ip, q.ip));
  if (q.sinceTs !== undefined) where.push(gte(leads.createdTs, q.sinceTs));
  if (q.flags) {
    where.push(
      or(
        ...q.flags.map((f) =>
          f === "Billable" ? and(eq(leads.flag, "Valid"), eq(leads.advertiserBillable, true)) : eq(leads.flag, f),
        ),
      ),
    );
  }
  return db.select({ n: count() }).from(leads).where(and(...where));
}

export function createJobContext(env: Pick<Env, "DB">, now: number, history = createJobHistory(env)): JobContext {
  return { history, now };
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
