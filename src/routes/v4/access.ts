import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Ctx } from "../../hydra/resource";

// What a publisher user may see: its own publisher's leads (and everything hanging off them) and
// the campaigns it is on. Correlated EXISTS keeps each check a primary-key or unique-index probe.

/** The lead exists, is not soft-deleted, and (for publisher users) belongs to the caller's publisher. */
export function leadVisible(ctx: Ctx, leadId: SQLiteColumn | SQL): SQL {
  return ctx.isAdmin
    ? sql`EXISTS (SELECT 1 FROM leads l WHERE l.id = ${leadId} AND l.deleted_ts IS NULL)`
    : sql`EXISTS (SELECT 1 FROM leads l WHERE l.id = ${leadId} AND l.deleted_ts IS NULL AND l.publisher_id = ${ctx.publisherId})`;
}

/**
 * The campaign is one the caller's publisher is on, and not a template (a blueprint admins
 * duplicate from: publisher users see neither it nor what hangs off it).
 */
export const onCampaign = (ctx: Ctx, campaignId: SQLiteColumn | SQL): SQL =>
  sql`EXISTS (SELECT 1 FROM campaign_publishers cp JOIN campaigns tc ON tc.id = cp.campaign_id
    WHERE cp.campaign_id = ${campaignId} AND cp.publisher_id = ${ctx.publisherId} AND tc.is_template = 0)`;

/** The campaign is not soft-deleted. */
export const campaignLive = (campaignId: SQLiteColumn | SQL): SQL =>
  sql`EXISTS (SELECT 1 FROM campaigns c WHERE c.id = ${campaignId} AND c.deleted_ts IS NULL)`;

/** Field options for what only admins read (documented so in docs.jsonld): `what` says what it is. */
export const adminsOnly = (what: string) => ({ adminOnly: true, description: `${what} (admins only).` });

/** The client's commercial terms (payouts, contract, billing). */
export const commercialTerms = adminsOnly("The client's commercial terms");

/** LeadFlag / LeadQaResult ids (fixed; documented in docs/v4-api.md). */
export const FLAG_IDS = { Valid: 1, Invalid: 2, Caution: 3, Test: 4 } as const;
