import { and, eq, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { getDb } from "../db/client";
import { campaignPublishers, campaigns } from "../db/schema";
import type { AppEnv, Principal } from "../env";
import { ApiError, tokenInvalid } from "../errors";
import { timingSafeEqual } from "./crypto";
import { verifyAccessToken } from "./tokens";

/** The bearer token of a request: `Authorization: Bearer …` or the `access_token` query parameter. */
export function readBearerToken(c: Context<AppEnv>): string | null {
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw tokenInvalid();
    return m[1]!;
  }
  return c.req.query("access_token") ?? null;
}

async function principalFromApiKey(c: Context<AppEnv>, key: string): Promise<Principal> {
  const row = await getDb(c.env)
    .select({
      id: campaignPublishers.id,
      apiKey: campaignPublishers.apiKey,
      campaignId: campaignPublishers.campaignId,
      publisherId: campaignPublishers.publisherId,
    })
    .from(campaignPublishers)
    .innerJoin(campaigns, eq(campaigns.id, campaignPublishers.campaignId))
    .where(and(eq(campaignPublishers.apiKey, key), isNull(campaigns.deletedTs)))
    .get();
  if (!row || !timingSafeEqual(row.apiKey, key)) throw tokenInvalid();
  return { kind: "apiKey", campaignPublisherId: row.id, campaignId: row.campaignId, publisherId: row.publisherId };
}

export interface AuthOptions {
  /** Accept a campaign-publisher `X-Api-Key` (publisher API only). */
  apiKey?: boolean;
  /** Let a user whose password expired through (the change-password call). */
  allowExpiredPassword?: boolean;
}

/** Establishes `c.var.principal` or throws 401. */
export function authenticate(options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const apiKey = options.apiKey ? c.req.header("X-Api-Key") : undefined;
    if (apiKey !== undefined) {
      c.set("principal", await principalFromApiKey(c, apiKey));
      return next();
    }
    const token = readBearerToken(c);
    if (!token) throw new ApiError("UNAUTHORIZED", "Authentication required.");
    const { principal, passwordExpired } = await verifyAccessToken(c.env, token);
    if (passwordExpired && !options.allowExpiredPassword) {
      throw new ApiError("PASSWORD_EXPIRED", "Your password has expired and must be changed.");
    }
    c.set("principal", principal);
    return next();
  };
}

/** Admin users only. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const p = c.var.principal;
  if (p.kind !== "user" || p.role !== "admin") throw new ApiError("FORBIDDEN", "Access denied.");
  return next();
};
