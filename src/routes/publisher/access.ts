import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../../db/client";
import { campaignPublishers, campaigns } from "../../db/schema";
import type { Env, Principal } from "../../env";
import { forbidden, notFound } from "../../errors";

// Who may do what on the publisher API: a publisher user acts only as its own publisher, an API
// key only as its campaign publisher, an admin as any publisher.

/** A numeric path segment, or 404 (the documented answer to a wrong id). */
export function idParam(value: string | undefined, error = notFound): number {
  if (value === undefined || !/^[1-9][0-9]{0,14}$/.test(value)) throw error();
  return Number(value);
}

/** 403 unless the principal may act as `publisherId` (and, for an API key, on `campaignId`). */
export function assertActsFor(p: Principal, publisherId: number, campaignId?: number): void {
  if (p.kind === "user") {
    if (p.role === "admin" || p.publisherId === publisherId) return;
    throw forbidden();
  }
  if (p.publisherId !== publisherId || (campaignId !== undefined && p.campaignId !== campaignId)) throw forbidden();
}

/** 404 unless the campaign exists and the principal works on it (admins: every campaign). */
export async function assertCampaignVisible(env: Env, p: Principal, campaignId: number): Promise<void> {
  const db = getDb(env);
  const live = and(eq(campaigns.id, campaignId), isNull(campaigns.deletedTs));
  let found: unknown;
  if (p.kind === "user" && p.role === "admin") {
    found = await db.select({ id: campaigns.id }).from(campaigns).where(live).get();
  } else {
    const publisherId = p.publisherId;
    if (publisherId === null || (p.kind === "apiKey" && p.campaignId !== campaignId)) throw notFound();
    found = await db
      .select({ id: campaignPublishers.id })
      .from(campaignPublishers)
      .innerJoin(campaigns, eq(campaigns.id, campaignPublishers.campaignId))
      .where(and(live, eq(campaignPublishers.publisherId, publisherId)))
      .get();
  }
  if (!found) throw notFound();
}
