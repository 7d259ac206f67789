import { asc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { oauthClients } from "../db/schema";
import type { Env } from "../env";
import { oauthError } from "../routes/oauth-errors";
import { timingSafeEqual } from "./crypto";

// The OAuth client of /oauth/v2/token. FOSOAuthServerBundle, which Convertr's token endpoint is
// built on, names a client "{id}_{randomId}" and takes its credentials either as HTTP Basic auth
// or as client_id / client_secret parameters; so do we.

export type OAuthClient = typeof oauthClients.$inferSelect;

export const clientIdOf = (client: Pick<OAuthClient, "id" | "randomId">) => `${client.id}_${client.randomId}`;

/**
 * The enterprise's OAuth client id, as /api/v4/oauth-clients shows it; /api/login reports it so
 * that a client sees one id everywhere. Every database gets its client from a migration.
 */
export async function enterpriseClientId(env: Env): Promise<string> {
  const row = await getDb(env)
    .select({ id: oauthClients.id, randomId: oauthClients.randomId })
    .from(oauthClients)
    .orderBy(asc(oauthClients.id))
    .limit(1)
    .get();
  if (!row) throw new Error("This enterprise has no OAuth client (the oauth_clients migration inserts one).");
  return clientIdOf(row);
}

const invalidClient = () => oauthError("BAD_REQUEST", "invalid_client", "The client credentials are invalid");

/** Client id and secret from `Authorization: Basic` (RFC 6749 §2.3.1) or else from the request fields. */
export function readClientCredentials(
  authorization: string | undefined,
  fields: Record<string, string>,
): { clientId: string; clientSecret: string } {
  const basic = authorization === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (basic) {
    let decoded: string;
    try {
      decoded = atob(basic[1]!);
    } catch {
      throw invalidClient();
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) throw invalidClient();
    // RFC 6749 §2.3.1: both halves are form-url-encoded before being joined.
    const part = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        throw invalidClient();
      }
    };
    return { clientId: part(decoded.slice(0, colon)), clientSecret: part(decoded.slice(colon + 1)) };
  }
  const clientId = fields.client_id;
  if (!clientId) throw oauthError("BAD_REQUEST", "invalid_client", "Client id was not found in the headers or body");
  return { clientId, clientSecret: fields.client_secret ?? "" };
}

/** invalid_client unless the pair names this enterprise's client, compared in constant time. */
export async function checkClient(env: Env, credentials: { clientId: string; clientSecret: string }): Promise<void> {
  const m = /^([1-9][0-9]{0,9})_([A-Za-z0-9]{1,128})$/.exec(credentials.clientId);
  if (!m) throw invalidClient();
  const row = await getDb(env).select().from(oauthClients).where(eq(oauthClients.id, Number(m[1]))).get();
  const ok = row !== undefined && timingSafeEqual(row.randomId, m[2]!) && timingSafeEqual(row.secret, credentials.clientSecret);
  if (!ok) throw invalidClient();
}
