import { describe, expect, it } from "vitest";
import { call, DEMO, form, json } from "../helpers";

// POST /oauth/v2/revoke (RFC 7009): signing out ends the session on the server.
async function signIn() {
  const res = await call("/api/login", form({ username: DEMO.northwind.username, password: DEMO.northwind.password }));
  expect(res.status).toBe(200);
  return (await res.json()) as { refresh_token: string };
}
const refresh = (token: string) => call("/api/login", form({ grant_type: "refresh_token", refresh_token: token }));

describe("POST /oauth/v2/revoke", () => {
  it("revokes a refresh token, so it no longer buys tokens on either endpoint", async () => {
    const { refresh_token } = await signIn();
    const res = await call("/oauth/v2/revoke", form({ token: refresh_token, token_type_hint: "refresh_token" }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const after = await refresh(refresh_token);
    expect(after.status).toBe(400);
    expect(await after.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("leaves the user's other sessions alone", async () => {
    const first = await signIn();
    const second = await signIn();
    expect((await call("/oauth/v2/revoke", json({ token: first.refresh_token }))).status).toBe(200);
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  it("answers 200 for unknown and already revoked tokens, telling nothing", async () => {
    const { refresh_token } = await signIn();
    expect((await call("/oauth/v2/revoke", form({ token: refresh_token }))).status).toBe(200);
    expect((await call("/oauth/v2/revoke", form({ token: refresh_token }))).status).toBe(200);
    expect((await call("/oauth/v2/revoke", form({ token: "never-issued" }))).status).toBe(200);
  });

  it("refuses a request without a token, or with an unknown hint, as an OAuth error", async () => {
    const missing = await call("/oauth/v2/revoke", form({}));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "invalid_request" });
    const hint = await call("/oauth/v2/revoke", form({ token: "x", token_type_hint: "id_token" }));
    expect(hint.status).toBe(400);
  });
});
