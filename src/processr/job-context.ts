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

export function createJobContext(env: Pick<Env, "DB">, now: number): JobContext {
  const db = getDb(env);
  const history: JobHistory = {
    async countOtherLeads(q) {
      // No flag accepted: nothing can match.
      if (q.flags && q.flags.length === 0) return 0;
      const [row] = await otherLeadsQuery(db, q);
      return row?.n ?? 0;
    },
  };
  return { history, now };
}
