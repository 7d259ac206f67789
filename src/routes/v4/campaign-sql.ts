import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { campaignStatistics, campaigns } from "../../db/schema";
import type { Ctx } from "../../hydra/resource";
import { inList } from "../../hydra/query";
import { BUCKETS, type Bucket, recountColumns } from "../../leads/statistics";

// SQL mirrors of computed Campaign properties, so that they can be filtered and ordered on.

/** A column of the campaign's campaign_statistics row (0 when it has none yet). */
export const stat = (column: string): SQL =>
  sql`COALESCE((SELECT s.${sql.raw(column)} FROM campaign_statistics s WHERE s.campaign_id = ${campaigns.id}), 0)`;

const rate = sql`CAST((SELECT cur.rate_to_base FROM currencies cur WHERE cur.id = ${campaigns.currencyId}) AS REAL)`;
export const revenueSql = sql`(${stat("billable_leads")} * CAST(${campaigns.payoutAmount} AS REAL))`;
export const baseRevenueSql = sql`(${revenueSql} * ${rate})`;
export const activePublishersSql = sql`(SELECT count(*) FROM campaign_publishers cp WHERE cp.campaign_id = ${campaigns.id} AND cp.signed = 1)`;

/** deriveCampaignStatus (src/db/campaign-status.ts) as SQL, evaluated at `now`; a test keeps them in step. */
export const statusSql = (now: number): SQL => sql`(CASE
  WHEN ${campaigns.contractSigned} = 0 THEN 'Setup Required'
  WHEN ${campaigns.paused} = 1 THEN 'Paused'
  WHEN ${now} < ${campaigns.startTs} THEN 'Inactive'
  WHEN ${campaigns.uncapped} = 0 AND ${campaigns.leadsRequired} > 0 AND ${stat("billable_leads")} >= ${campaigns.leadsRequired} THEN 'Ended'
  WHEN ${now} > ${campaigns.endTs} THEN 'Ended'
  ELSE 'Active' END)`;

// Publisher users see their own figures: the same bucket rules as the running totals
// (src/leads/statistics.ts), counted over their own live leads through
// leads_live_publisher_campaign_idx (publisher_id, campaign_id, created_ts). Summed over the
// publishers of a campaign they give the campaign's totals.

/** The lead buckets of a Statistics row, by their property names. */
export type LeadFigures = Pick<
  typeof campaignStatistics.$inferSelect,
  "totalLeads" | "validLeads" | "cautionLeads" | "invalidLeads" | "testLeads" | "billableLeads" | "deliveredLeads" | "heldLeads" | "processingLeads"
>;
export const figureKey = (b: Bucket) => `${b}Leads` as keyof LeadFigures;

/** The caller's own live leads on the campaign of the outer row (`campaignId`). */
export const ownLeads = (ctx: Ctx, campaignId: SQL | SQLiteColumn): SQL =>
  sql`leads WHERE publisher_id = ${ctx.publisherId} AND campaign_id = ${campaignId} AND deleted_ts IS NULL`;

/**
 * Ordering on a statistics bucket: the campaign's running total for admins, the caller's own count
 * for publisher users (so that the order reveals nothing about other publishers' leads).
 */
export const statOrder =
  (bucket: Bucket) =>
  (ctx: Ctx): SQL =>
    ctx.isAdmin ? stat(`${bucket}_leads`) : sql`(SELECT ${sql.raw(recountColumns([bucket]))} FROM ${ownLeads(ctx, campaigns.id)})`;

/** The caller's own figures on each of the campaigns (campaigns without its leads are absent). */
export async function publisherFigures(ctx: Ctx, campaignIds: number[]): Promise<Map<number, LeadFigures>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await ctx.db.all<{ campaignId: number } & Record<Bucket, number>>(
    sql`SELECT campaign_id AS campaignId, ${sql.raw(recountColumns(BUCKETS))} FROM leads
        WHERE publisher_id = ${ctx.publisherId} AND ${inList(sql`campaign_id`, campaignIds)} AND deleted_ts IS NULL
        GROUP BY campaign_id`,
  );
  return new Map(rows.map((r) => [r.campaignId, toFigures(r)]));
}

/** Bucket counts (keyed by bucket, as recountColumns() names them) → Statistics properties. */
export function toFigures(counts: Partial<Record<Bucket, number>>): LeadFigures {
  return Object.fromEntries(BUCKETS.map((b) => [figureKey(b), Number(counts[b] ?? 0)])) as unknown as LeadFigures;
}
