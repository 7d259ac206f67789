import { and, eq, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { timingSafeEqual } from "../../auth/crypto";
import { rememberVerifiedKey } from "../../auth/verified-keys";
import { getDb } from "../../db/client";
import { campaignPublishers, campaigns } from "../../db/schema";
import type { AppEnv, Env } from "../../env";
import { ApiError } from "../../errors";

// The campaign webhook's credentials, as the `apikey` query parameter (Convertr's form) or an
// X-Api-Key header; each opens its own campaign only:
// - the campaign's key (campaigns.api_key): the client's server-side key; it names any of the
//   campaign's publishers with publisherId;
// - a landing-page key (campaign_publishers.webhook_key): bound to one publisher of the campaign,
//   whose leads it captures whatever publisherId says, so a key read from a page's source cannot
//   credit another publisher.
// The rate limiter reads the key through webhookKey() too, so both see the same key.

export const accessDenied = () => new ApiError("UNAUTHORIZED", "Access denied.");

export function webhookKey(c: Context<AppEnv>): string | null {
  return c.req.query("apikey") ?? c.req.header("X-Api-Key") ?? null;
}

/** The path's campaign id, or 404. */
export function campaignIdParam(c: Context<AppEnv>): number {
  const raw = c.req.param("campaignId") ?? "";
  if (!/^[1-9][0-9]{0,14}$/.test(raw)) throw new ApiError("NOT_FOUND", "Not Found");
  return Number(raw);
}

// What landingPagePublisher() last found per campaign and landing-page key: the publisher the key
// was bound to, so that a capture can go straight to its write batch, which checks that binding in
// its transaction (CaptureInput.webhookKey); every other answer waits for a fresh look-up. Only keys
// D1 confirmed are kept (a made-up key takes no place), at most KEPT_LANDING_PAGE_KEYS_MAX entries,
// the oldest leaving first.
const KEPT_LANDING_PAGE_KEYS_MAX = 1_000;
const keptLandingPageKeys = new Map<string, number>();
const keptKey = (campaignId: number, key: string) => `${campaignId}:${key}`;

/** The publisher this isolate last found `key` bound to on the campaign, not confirmed for this request; null if none. */
export function keptLandingPagePublisher(campaignId: number, key: string): number | null {
  return keptLandingPageKeys.get(keptKey(campaignId, key)) ?? null;
}

/** The publisher a landing-page key is bound to on a live campaign, or null when it is not one. */
export async function landingPagePublisher(env: Env, campaignId: number, key: string): Promise<number | null> {
  const row = await getDb(env)
    .select({ publisherId: campaignPublishers.publisherId })
    .from(campaignPublishers)
    .innerJoin(campaigns, eq(campaigns.id, campaignPublishers.campaignId))
    .where(and(eq(campaignPublishers.campaignId, campaignId), eq(campaignPublishers.webhookKey, key), isNull(campaigns.deletedTs)))
    .get();
  const kept = keptKey(campaignId, key);
  keptLandingPageKeys.delete(kept);
  if (row === undefined) return null;
  if (keptLandingPageKeys.size >= KEPT_LANDING_PAGE_KEYS_MAX) keptLandingPageKeys.delete(keptLandingPageKeys.keys().next().value!);
  keptLandingPageKeys.set(kept, row.publisherId);
  return row.publisherId;
}

/** For the read endpoints: 401 unless the key is the path campaign's key or one of its landing-page keys. */
export const requireCampaignKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = webhookKey(c);
  if (key === null) throw accessDenied();
  const campaignId = campaignIdParam(c);
  const row = await getDb(c.env)
    .select({ apiKey: campaigns.apiKey })
    .from(campaigns)
    .where(and(eq(campaigns.id, campaignId), isNull(campaigns.deletedTs)))
    .get();
  if (!row) throw accessDenied();
  if (!timingSafeEqual(row.apiKey, key) && (await landingPagePublisher(c.env, campaignId, key)) === null) throw accessDenied();
  rememberVerifiedKey(key);
  return next();
};
