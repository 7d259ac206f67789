import { and, eq, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { timingSafeEqual } from "../../auth/crypto";
import { rememberVerifiedKey } from "../../auth/verified-keys";
import { getDb } from "../../db/client";
import { campaigns } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";

// The campaign webhook's credential: the campaign's own API key (campaigns.api_key), as the
// `apikey` query parameter (Convertr's form) or an X-Api-Key header. It opens that campaign only.
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

/** For the read endpoints: 401 unless the key is the path campaign's key (an unknown campaign too). */
export const requireCampaignKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = webhookKey(c);
  if (key === null) throw accessDenied();
  const row = await getDb(c.env)
    .select({ apiKey: campaigns.apiKey })
    .from(campaigns)
    .where(and(eq(campaigns.id, campaignIdParam(c)), isNull(campaigns.deletedTs)))
    .get();
  if (!row || !timingSafeEqual(row.apiKey, key)) throw accessDenied();
  rememberVerifiedKey(key);
  return next();
};
