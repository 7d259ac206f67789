import { type Context, Hono } from "hono";
import { z } from "zod";
import { checkClient, readClientCredentials } from "../auth/client-credentials";
import { grantForApiKey, refreshApiKeyGrant } from "../auth/publisher-tokens";
import type { AppEnv } from "../env";
import { readFlatFields } from "../http/body";
import { loginWithPassword, loginWithRefreshToken, passwordGrant } from "./login";
import { oauthError, renderOAuthError } from "./oauth-errors";

// GET|POST /oauth/v2/token: the OAuth 2 token endpoint of Convertr's older publisher API
// documentation, with FOSOAuthServerBundle's parameters, responses and errors. Every grant needs
// the enterprise's client (client_id/client_secret, or HTTP Basic); parameters come from the
// query string and, for POST, the form or JSON body (the body wins).
//   grant_type=password         username, password (mfa_token, mfa_code as /api/login)
//   grant_type=refresh_token    refresh_token (from either of the other grants)
//   grant_type=<…>/grants/api_key  api_key: a campaign-publisher key; the token is scoped to that
//                               campaign's publisher API (src/auth/publisher-tokens.ts)
// User tokens come from the same code as POST /api/login, so the two endpoints share sessions.

/** Any URI whose path ends in /grants/api_key (Convertr writes its own host into it). */
const API_KEY_GRANT = /^https?:\/\/[^/\s]+\/grants\/api_key$/;
export const apiKeyGrant = z.object({ api_key: z.string().min(1).max(255) });
// Long enough for both kinds: /api/login's opaque tokens and the API-key grant's signed ones.
export const refreshGrant = z.object({ refresh_token: z.string().min(1).max(2048) });

/** The five fields of the token response; /api/login adds its own (user_id, expires_ts, …). */
export const oauthTokensSchema = z.object({
  access_token: z.string(),
  expires_in: z.number().int(),
  token_type: z.literal("bearer"),
  scope: z.string().nullable(),
  refresh_token: z.string(),
});

async function readFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const fields: Record<string, string> = Object.create(null);
  for (const [k, v] of new URL(c.req.url).searchParams) fields[k] = v;
  if (c.req.method === "POST" && c.req.header("Content-Type") !== undefined) Object.assign(fields, await readFlatFields(c));
  return fields;
}

const tokenBody = (t: z.output<typeof oauthTokensSchema>): z.output<typeof oauthTokensSchema> => ({
  access_token: t.access_token,
  expires_in: t.expires_in,
  token_type: t.token_type,
  scope: t.scope,
  refresh_token: t.refresh_token,
});

async function grant(c: Context<AppEnv>) {
  const fields = await readFields(c);
  const grantType = fields.grant_type;
  if (!grantType) throw oauthError("BAD_REQUEST", "invalid_request", "Invalid grant_type parameter or parameter missing");
  await checkClient(c.env, readClientCredentials(c.req.header("Authorization"), fields));
  // No-store, as RFC 6749 §5.1 requires of token responses.
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");

  if (grantType === "password") {
    const parsed = passwordGrant.safeParse(fields);
    if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", 'Missing parameters. "username" and "password" required');
    return c.json(tokenBody(await loginWithPassword(c.env, parsed.data)));
  }
  if (grantType === "refresh_token") {
    const parsed = refreshGrant.safeParse(fields);
    if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", 'No "refresh_token" parameter found');
    const token = parsed.data.refresh_token;
    return c.json(tokenBody((await refreshApiKeyGrant(c.env, token)) ?? (await loginWithRefreshToken(c.env, token))));
  }
  if (API_KEY_GRANT.test(grantType)) {
    const parsed = apiKeyGrant.safeParse(fields);
    if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", 'Missing parameters. "api_key" required');
    return c.json(tokenBody(await grantForApiKey(c.env, parsed.data.api_key)));
  }
  throw oauthError("BAD_REQUEST", "unsupported_grant_type", "Invalid grant_type parameter or parameter missing");
}

export const oauthToken = new Hono<AppEnv>();
oauthToken.onError(renderOAuthError);
oauthToken.get("/", grant);
oauthToken.post("/", grant);
