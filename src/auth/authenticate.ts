import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Principal } from "../env";
import { ApiError, tokenInvalid } from "../errors";
import { apiKeyOwner, isApiKeyGrantToken, principalOf, verifyApiKeyGrantToken } from "./publisher-tokens";
import { verifyUserToken } from "./sessions";
import { rememberVerifiedKey } from "./verified-keys";

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
  const owner = await apiKeyOwner(c.env, key);
  if (!owner) throw tokenInvalid();
  rememberVerifiedKey(key);
  return principalOf(owner);
}

export interface AuthOptions {
  /**
   * Accept a campaign publisher's credentials: its `X-Api-Key`, or a token of the API-key grant
   * (publisher API and sync subscriptions only; elsewhere such a token is refused with 403).
   */
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
    if (isApiKeyGrantToken(token)) {
      const scoped = await verifyApiKeyGrantToken(c.env, token);
      if (!options.apiKey) {
        throw new ApiError("FORBIDDEN", `This token comes from the API-key grant: it is valid only on the publisher API of campaign ${scoped.campaignId}.`);
      }
      c.set("principal", scoped);
      return next();
    }
    const { principal, passwordExpired } = await verifyUserToken(c.env, token);
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
