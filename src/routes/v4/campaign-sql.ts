import { type SQL, sql } from "drizzle-orm";
import { campaigns } from "../../db/schema";

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
