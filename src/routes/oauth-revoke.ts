import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { sha256Hex } from "../auth/crypto";
import { getDb } from "../db/client";
import { refreshTokens } from "../db/schema";
import type { AppEnv } from "../env";
import { readFlatFields } from "../http/body";
import { oauthError, renderOAuthError } from "./oauth-errors";

// POST /oauth/v2/revoke: OAuth 2 token revocation (RFC 7009) for the refresh tokens of /api/login
// and the token endpoint's password grant, so that signing out ends the session on the server and
// not only in the browser. Holding the refresh token is the proof needed (the console is a public
// client). As the RFC says, an unknown, expired or already revoked token is answered 200 too: the
// answer never tells whether a token existed. Access tokens are short-lived JWTs and simply expire;
// API-key grant tokens end when their key is rotated.
export const revokeRequest = z.object({
  token: z.string().min(1).max(2048),
  token_type_hint: z.enum(["refresh_token", "access_token"]).optional(),
});

export const oauthRevoke = new Hono<AppEnv>();
oauthRevoke.onError(renderOAuthError);

oauthRevoke.post("/", async (c) => {
  const parsed = revokeRequest.safeParse(await readFlatFields(c));
  if (!parsed.success) throw oauthError("BAD_REQUEST", "invalid_request", "Missing token");
  const id = await sha256Hex(parsed.data.token);
  await getDb(c.env)
    .update(refreshTokens)
    .set({ revokedTs: Date.now() })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.revokedTs)))
    .run();
  return c.body(null, 200);
});
