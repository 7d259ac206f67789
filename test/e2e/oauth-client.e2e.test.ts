// @ts-ignore -- CommonJS package without bundled types (test/e2e is outside tsconfig)
import { ResourceOwnerPassword } from "simple-oauth2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Enterprises, startEnterprises } from "./harness";

// A maintained OAuth 2 client from npm (simple-oauth2, not our code) against acme's real
// /oauth/v2/token (test/e2e/harness.ts): the password grant, then the refresh_token grant, with the
// client credentials sent both ways the library knows (HTTP Basic and the request body).

const ACME_CLIENT = { id: "1_5b0c7f3e1a9d4c2b8e6f0a1d3c5e7b9f", secret: "acme-demo-client-secret-1f6e0d2c9b8a7f6e5d4c3b2a" };
const ADMIN = { username: "admin@acme.test", password: "acme-admin-2026!" };

describe("simple-oauth2 against /oauth/v2/token", () => {
  let ent: Enterprises;
  beforeAll(async () => {
    ent = await startEnterprises();
  });
  afterAll(async () => {
    await ent?.stop();
  });

  const client = (authorizationMethod: "header" | "body", secret = ACME_CLIENT.secret) =>
    new ResourceOwnerPassword({
      client: { id: ACME_CLIENT.id, secret },
      auth: { tokenHost: ent.urls.acme, tokenPath: "/oauth/v2/token" },
      options: { authorizationMethod },
    });

  for (const method of ["header", "body"] as const) {
    it(`obtains a token with the password grant and refreshes it (client credentials in the ${method})`, async () => {
      const token = await client(method).getToken(ADMIN);
      expect(token.token).toMatchObject({ token_type: "bearer", expires_in: 3600 });
      expect(token.expired()).toBe(false);
      const me = await fetch(`${ent.urls.acme}/api/v4/users/167`, { headers: { Authorization: `Bearer ${token.token.access_token}` } });
      expect(me.status).toBe(200);

      const refreshed = await token.refresh();
      expect(refreshed.token.access_token).toEqual(expect.any(String));
      expect(refreshed.token.refresh_token).not.toBe(token.token.refresh_token);
      const again = await fetch(`${ent.urls.acme}/api/v4/leads`, { headers: { Authorization: `Bearer ${refreshed.token.access_token}` } });
      expect(again.status).toBe(200);

      // The first refresh token was used up: the library sees the server's invalid_grant.
      await expect(token.refresh()).rejects.toMatchObject({ output: { statusCode: 400 }, data: { payload: { error: "invalid_grant" } } });
    });
  }

  it("surfaces invalid_client and invalid_grant as the library's errors", async () => {
    await expect(client("header", "wrong-secret").getToken(ADMIN)).rejects.toMatchObject({ data: { payload: { error: "invalid_client" } } });
    await expect(client("body").getToken({ ...ADMIN, password: "wrong" })).rejects.toMatchObject({ data: { payload: { error: "invalid_grant" } } });
  });
});
