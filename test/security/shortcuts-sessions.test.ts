import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/password";
import { SESSION_CACHE_MS, verifyUserToken } from "../../src/auth/sessions";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { ACME_CLIENT } from "../integrations/helpers";

// Sessions against the per-isolate shortcuts (issue 17): an isolate keeps the access tokens whose
// signature it verified (src/auth/verified-token-memo.ts) and each user's session state for
// SESSION_CACHE_MS (src/auth/sessions.ts). Whatever an isolate kept, a session that ended is
// refused on its next request in that isolate, and within SESSION_CACHE_MS in the others.

const PASSWORD = "shortcuts-sessions-password-2026";
let nextId = 7300;

async function freshUser(role: "admin" | "publisher") {
  const id = nextId++;
  const username = `shortcuts-${id}@acme.test`;
  await env.DB.prepare("INSERT INTO users (id, username, password_hash, role, publisher_id) VALUES (?1, ?2, ?3, ?4, ?5)")
    .bind(id, username, await hashPassword(PASSWORD), role, role === "publisher" ? DEMO.northwind.publisherId : null)
    .run();
  const res = await call("/api/login", form({ username, password: PASSWORD }));
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  return { id, username, access: body.access_token, refresh: body.refresh_token };
}

const put = async (id: number, body: unknown) =>
  call(`/api/v4/users/${id}`, json(body, "PUT", { ...bearer(await loginAs(DEMO.admin)), "Content-Type": "application/ld+json" }));
const refresh = (token: string) => call("/api/login", form({ grant_type: "refresh_token", refresh_token: token }));
const status = async (path: string, token: string) => (await call(path, { headers: bearer(token) })).status;

describe("a change to what an access token carries", () => {
  it("a demoted admin's token, kept by this isolate, is refused on its very next request", async () => {
    const user = await freshUser("admin");
    expect(await status("/api/v4/users", user.access)).toBe(200);
    expect(await status("/api/v4/users", user.access)).toBe(200);
    expect((await put(user.id, { role: "publisher", publisher: `/api/v4/publishers/${DEMO.northwind.publisherId}` })).status).toBe(200);
    expect(await status("/api/v4/users", user.access)).toBe(401);
    expect(await status("/api/v4/leads", user.access)).toBe(401);
    expect((await refresh(user.refresh)).status).toBe(400);
    // A new sign-in carries the new role.
    const again = await loginAs({ username: user.username, password: PASSWORD });
    expect(await status("/api/v4/users", again)).toBe(403);
    expect(await status("/api/v4/leads", again)).toBe(200);
  });

  it("a publisher user moved to another publisher no longer acts as the first", async () => {
    const user = await freshUser("publisher");
    expect(await status(`/api/v2.4/publisher/${DEMO.northwind.publisherId}/lead-result/1`, user.access)).not.toBe(403);
    expect(await status("/api/v4/leads", user.access)).toBe(200);
    expect((await put(user.id, { publisher: `/api/v4/publishers/${DEMO.agencyPartners.publisherId}` })).status).toBe(200);
    expect(await status("/api/v4/leads", user.access)).toBe(401);
    expect(await status(`/api/v2.4/publisher/${DEMO.northwind.publisherId}/lead-result/1`, user.access)).toBe(401);
    expect((await refresh(user.refresh)).status).toBe(400);
  });

  it("the same role and publisher sent again, or another field changed, keep the sessions", async () => {
    const user = await freshUser("publisher");
    const same = { role: "publisher", publisher: `/api/v4/publishers/${DEMO.northwind.publisherId}`, name: "Renamed" };
    expect((await put(user.id, same)).status).toBe(200);
    expect(await status("/api/v4/leads", user.access)).toBe(200);
    // A refused change of role writes nothing and ends nothing.
    expect((await put(user.id, { role: "admin" })).status).toBe(422);
    expect(await status("/api/v4/leads", user.access)).toBe(200);
    expect((await refresh(user.refresh)).status).toBe(200);
  });
});

describe("the session state an isolate keeps", () => {
  it("a session ended by another isolate is refused here within SESSION_CACHE_MS, and never later", async () => {
    const user = await freshUser("publisher");
    // Ahead of the real clock, so that this isolate's state is read at t0 and kept from then.
    const t0 = Date.now() + 60_000;
    expect((await verifyUserToken(env, user.access, t0)).principal.userId).toBe(user.id);
    // Another isolate sets the password: the version moves on in D1, this isolate is not told.
    await env.DB.prepare("UPDATE users SET token_version = token_version + 1 WHERE id = ?1").bind(user.id).run();
    expect((await verifyUserToken(env, user.access, t0 + SESSION_CACHE_MS - 1)).principal.userId).toBe(user.id);
    await expect(verifyUserToken(env, user.access, t0 + SESSION_CACHE_MS)).rejects.toMatchObject({ code: "TOKEN_INVALID" });
    await expect(verifyUserToken(env, user.access, t0 + SESSION_CACHE_MS + 1)).rejects.toMatchObject({ code: "TOKEN_INVALID" });
  });
});

describe("refresh and access tokens through the kept tokens", () => {
  it("a user's refresh token is no access token, nor the reverse, once the access token is kept", async () => {
    const user = await freshUser("publisher");
    expect(await status("/api/v4/leads", user.access)).toBe(200);
    expect(await status("/api/v4/leads", user.refresh)).toBe(401);
    expect((await refresh(user.access)).status).toBe(400);
    expect(await status("/api/v4/leads", user.access)).toBe(200);
  });

  it("an API-key grant's refresh token is no access token, nor the reverse, once the access token is kept", async () => {
    const { clientId, clientSecret } = ACME_CLIENT;
    const key = await env.DB.prepare("SELECT api_key FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 12").first<{ api_key: string }>();
    const grant = await call("/oauth/v2/token", form({
      grant_type: "https://acme.cvtr.io/grants/api_key", client_id: clientId, client_secret: clientSecret, api_key: key!.api_key,
    }));
    expect(grant.status).toBe(200);
    const t = (await grant.json()) as { access_token: string; refresh_token: string };
    const fields = "/api/v2.4/publisher/fields/601";
    expect(await status(fields, t.access_token)).toBe(200);
    expect(await status(fields, t.refresh_token)).toBe(401);
    const asRefresh = await call("/oauth/v2/token", form({ grant_type: "refresh_token", refresh_token: t.access_token, client_id: clientId, client_secret: clientSecret }));
    expect(asRefresh.status).toBe(400);
    expect(await status(fields, t.access_token)).toBe(200);
  });
});
