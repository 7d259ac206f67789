import type { Context } from "hono";
import { readBearerToken } from "../../auth/authenticate";
import { timingSafeEqual } from "../../auth/crypto";
import { verifyUserToken } from "../../auth/sessions";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { bodyKind, readFlatFields } from "../../http/body";
import { archivedLeadIdByHash, restoreArchivedLead } from "../../archive/restore";

// Shared by the delivery validation and lead-append webhooks (Convertr's validation webhook documentation and Convertr's lead-append documentation): who may call them,
// how their fields arrive, and the lead a hash names.

export interface WebhookActor {
  /** The admin user, when a bearer token was given. */
  userId: number | null;
  /** For notes: the admin's username, or "webhook key". */
  via: string;
}

const unauthorized = () =>
  new ApiError("UNAUTHORIZED", "Authentication required: an admin bearer token or the enterprise webhook key.");

/** The enterprise webhook key a request presents; the rate limiter reads it from here too. */
export const presentedWebhookKey = (c: Context<AppEnv>): string | undefined =>
  c.req.header("X-Webhook-Key") ?? c.req.query("key");

/**
 * An admin bearer token (Authorization or access_token), or the enterprise webhook key
 * (X-Webhook-Key header or `key` query parameter, compared in constant time with WEBHOOK_KEY).
 * Without WEBHOOK_KEY configured only admin tokens work. 401 otherwise; 403 for a non-admin token.
 */
export async function requireWebhookCredentials(c: Context<AppEnv>): Promise<WebhookActor> {
  const key = presentedWebhookKey(c);
  if (key !== undefined) {
    const expected = c.env.WEBHOOK_KEY;
    if (!expected || !timingSafeEqual(key, expected)) throw unauthorized();
    return { userId: null, via: "webhook key" };
  }
  const token = readBearerToken(c);
  if (!token) throw unauthorized();
  const { principal, passwordExpired } = await verifyUserToken(c.env, token);
  if (passwordExpired) throw new ApiError("PASSWORD_EXPIRED", "Your password has expired and must be changed.");
  if (principal.kind !== "user" || principal.role !== "admin") {
    throw new ApiError("FORBIDDEN", "Only admin users or the webhook key may call this webhook.");
  }
  return { userId: principal.userId, via: principal.username };
}

/** Query parameters that carry credentials, never data. */
const CREDENTIAL_PARAMS = new Set(["key", "access_token"]);

/** Body fields (JSON, url-encoded or multipart; none is fine) over query-string fields, credentials left out. */
export async function readWebhookFields(c: Context<AppEnv>, withQuery: boolean): Promise<Record<string, string>> {
  const out: Record<string, string> = Object.create(null);
  if (withQuery) {
    for (const [k, v] of new URL(c.req.url).searchParams) if (!CREDENTIAL_PARAMS.has(k)) out[k] = v;
  }
  const hasBody = c.req.header("Content-Type") !== undefined || Number(c.req.header("Content-Length") ?? "0") > 0;
  if (hasBody || bodyKind(c) !== null) Object.assign(out, await readFlatFields(c));
  return out;
}

export interface HashLead {
  id: number;
  campaignId: number;
}

/** The live lead a leadHash names, or 404. An archived lead is restored to D1 first (src/archive). */
export async function leadByHash(c: Context<AppEnv>, hash: string): Promise<HashLead> {
  if (!/^[A-Za-z0-9]{1,64}$/.test(hash)) throw new ApiError("NOT_FOUND", "Lead not found");
  const find = () =>
    c.env.DB.prepare("SELECT id, campaign_id FROM leads WHERE lead_hash = ? AND deleted_ts IS NULL").bind(hash).first<{ id: number; campaign_id: number }>();
  let row = await find();
  if (!row) {
    const archived = await archivedLeadIdByHash(c.env.DB, hash);
    if (archived !== null && (await restoreArchivedLead(c.env, archived))) row = await find();
  }
  if (!row) throw new ApiError("NOT_FOUND", "Lead not found");
  return { id: row.id, campaignId: row.campaign_id };
}
