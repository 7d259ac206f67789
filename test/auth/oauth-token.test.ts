import { env } from "cloudflare:workers";
import { decodeJwt, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { jwtKey } from "../../src/auth/tokens";
import { insertLead } from "../integrations/helpers";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";

// /oauth/v2/token: FOSOAuthServerBundle's token endpoint, as Convertr's older publisher API
// documentation uses it, with the password, refresh_token and API-key grants.

const CLIENT = { client_id: "1_5b0c7f3e1a9d4c2b8e6f0a1d3c5e7b9f", client_secret: "acme-demo-client-secret-1f6e0d2c9b8a7f6e5d4c3b2a" };
const API_KEY_GRANT = "https://acme.cvtr.io/grants/api_key";
const KEY_601_PUB12 = "0c463164f0d4fcb604d8fd9f80737476";

type TokenBody = { access_token: string; expires_in: number; token_type: string; scope: string | null; refresh_token: string };
type OAuthError = { error: string; error_description: string };

const token = (fields: Record<string, string>, headers: Record<string, string> = {}) => call("/oauth/v2/token", form(fields, headers));

async function apiKeyToken(apiKey = KEY_601_PUB12): Promise<TokenBody> {
  const res = await call(`/oauth/v2/token?${new URLSearchParams({ grant_type: API_KEY_GRANT, ...CLIENT, api_key: apiKey })}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe("the client credentials", () => {
  it("are shown to admins in v4, and to nobody else", async () => {
    const res = await call("/api/v4/oauth-clients", { headers: bearer(await loginAs(DEMO.admin)) });
    expect(res.status).toBe(200);
    const [client] = ((await res.json()) as { "hydra:member": Record<string, unknown>[] })["hydra:member"];
    expect(client).toMatchObject({ clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret });
    expect((await call("/api/v4/oauth-clients", { headers: bearer(await loginAs(DEMO.northwind)) })).status).toBe(403);
  });

  it("are required with every grant, in the body or as HTTP Basic", async () => {
    const user = { grant_type: "password", username: DEMO.admin.username, password: DEMO.admin.password };
    const missing = await token(user);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: "invalid_client", error_description: "Client id was not found in the headers or body" });
    const wrong = await token({ ...user, ...CLIENT, client_secret: "nope" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: "invalid_client", error_description: "The client credentials are invalid" });
    const otherId = await token({ ...user, ...CLIENT, client_id: "1_0000" });
    expect(((await otherId.json()) as OAuthError).error).toBe("invalid_client");
    const basic = await token(user, { Authorization: `Basic ${btoa(`${CLIENT.client_id}:${CLIENT.client_secret}`)}` });
    expect(basic.status).toBe(200);
  });
});

describe("the password and refresh_token grants", () => {
  it("issue the documented token response, by POST or by GET, usable on v4", async () => {
    const res = await token({ grant_type: "password", username: DEMO.admin.username, password: DEMO.admin.password, ...CLIENT });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as TokenBody;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "scope", "token_type"]);
    expect(body).toMatchObject({ expires_in: 3600, token_type: "bearer", scope: null });
    expect((await call("/api/v4/leads", { headers: bearer(body.access_token) })).status).toBe(200);

    const q = new URLSearchParams({ grant_type: "password", username: DEMO.northwind.username, password: DEMO.northwind.password, ...CLIENT });
    const viaGet = await call(`/oauth/v2/token?${q}`);
    expect(viaGet.status).toBe(200);
    expect(decodeJwt(((await viaGet.json()) as TokenBody).access_token)).toMatchObject({ role: "publisher", pub: 12 });
  });

  it("refreshes once per refresh token; a replay is refused (shared with /api/login)", async () => {
    const login = await call("/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password }));
    const { refresh_token } = (await login.json()) as TokenBody;
    const refreshed = await token({ grant_type: "refresh_token", refresh_token, ...CLIENT });
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as TokenBody).refresh_token).not.toBe(refresh_token);
    const replay = await token({ grant_type: "refresh_token", refresh_token, ...CLIENT });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as OAuthError).error).toBe("invalid_grant");
  });

  it("answers bad requests with the OAuth errors", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ...CLIENT }, "invalid_request"],
      [{ grant_type: "client_credentials", ...CLIENT }, "unsupported_grant_type"],
      [{ grant_type: "password", username: DEMO.admin.username, ...CLIENT }, "invalid_request"],
      [{ grant_type: "password", username: DEMO.admin.username, password: "wrong", ...CLIENT }, "invalid_grant"],
      [{ grant_type: "refresh_token", ...CLIENT }, "invalid_request"],
      [{ grant_type: "refresh_token", refresh_token: "unknown", ...CLIENT }, "invalid_grant"],
      [{ grant_type: API_KEY_GRANT, ...CLIENT }, "invalid_request"],
      [{ grant_type: API_KEY_GRANT, api_key: "00000000000000000000000000000000", ...CLIENT }, "invalid_grant"],
      [{ grant_type: "https://acme.cvtr.io/grants/other", api_key: KEY_601_PUB12, ...CLIENT }, "unsupported_grant_type"],
    ];
    for (const [fields, error] of cases) {
      const res = await token(fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      const body = (await res.json()) as OAuthError;
      expect(body.error, JSON.stringify(fields)).toBe(error);
      expect(body.error_description).toMatch(/\S/);
    }
  });

  it("is rate-limited like login, with an OAuth-shaped 429", async () => {
    const ip = freshIp();
    const q = new URLSearchParams({ grant_type: "password", username: "nobody@acme.test", password: "x", ...CLIENT });
    const hit = () => fetchWith({ RATE_LIMIT_LOGIN: "2" }, `/oauth/v2/token?${q}`, { headers: { "CF-Connecting-IP": ip } });
    expect((await hit()).status).toBe(400);
    expect((await hit()).status).toBe(400);
    const limited = await hit();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(((await limited.json()) as OAuthError).error).toBe("rate_limited");
  });
});

describe("the API-key grant", () => {
  it("gives a token for that campaign's publisher API: fields, links, lead POST, lead result", async () => {
    const t = await apiKeyToken();
    expect(t).toMatchObject({ expires_in: 3600, token_type: "bearer", scope: "publisher:12 campaign:601" });
    const auth = { headers: bearer(t.access_token) };
    const fields = await call("/api/v2.4/publisher/fields/601", auth);
    expect(fields.status).toBe(200);
    expect(((await fields.json()) as { formId: number }[]).map((f) => f.formId).sort()).toEqual([23, 35]);
    expect((await call("/api/v2.4/publisher/links/601", auth)).status).toBe(200);
    const posted = await call(
      "/api/v2.4/publisher/12/forms/35/campaign/601/leads?linkId=25",
      form({ "form[firstName]": "Mary", "form[lastName]": "Jackson", "form[email]": "mary.jackson@example.org" }, bearer(t.access_token)),
    );
    expect(posted.status).toBe(201);
    const { data: leadId } = (await posted.json()) as { data: number };
    const result = await call(`/api/v2.1/publisher/12/lead-result/${leadId}`, auth);
    expect(result.status).toBe(200);
    expect(((await result.json()) as { leadId: number }).leadId).toBe(leadId);
  });

  it("refuses other campaigns, other publishers, v4 and the login-only routes", async () => {
    const t = await apiKeyToken();
    const auth = { headers: bearer(t.access_token) };
    // Publisher 12 is on campaign 602 as well, but this key is not.
    expect((await call("/api/v2.4/publisher/fields/602", auth)).status).toBe(404);
    expect((await call("/api/v2.4/publisher/links/602", auth)).status).toBe(404);
    const other = await call(
      "/api/v2.4/publisher/12/forms/36/campaign/602/leads",
      form({ "form[firstName]": "Ann", "form[lastName]": "Other", "form[email]": "ann@example.org" }, bearer(t.access_token)),
    );
    expect(other.status).toBe(403);
    const asOtherPublisher = await call(
      "/api/v2.4/publisher/13/forms/35/campaign/601/leads",
      form({ "form[firstName]": "Ann", "form[lastName]": "Other", "form[email]": "ann@example.org" }, bearer(t.access_token)),
    );
    expect(asOtherPublisher.status).toBe(403);
    const lead602 = await insertLead(602, 12, 36, { firstName: "Ann", lastName: "Other", email: "ann@example.org" });
    expect((await call(`/api/v2.1/publisher/12/lead-result/${lead602.id}`, auth)).status).toBe(404);

    const v4 = await call("/api/v4/leads", auth);
    expect(v4.status).toBe(403);
    expect(((await v4.json()) as Record<string, string>)["hydra:description"]).toMatch(/publisher API of campaign 601/);
    expect((await call("/api/v4/users/201/change-password", json({ currentPassword: "x", newPassword: "y" }, "POST", bearer(t.access_token)))).status).toBe(403);
    const webhook = await call("/api/webhook/invalidate/0123456789abcdef", form({ reason: "x", user: "y" }, bearer(t.access_token)));
    expect(webhook.status).toBe(401);
    // Not a refresh token either.
    const asRefresh = await token({ grant_type: "refresh_token", refresh_token: t.access_token, ...CLIENT });
    expect(((await asRefresh.json()) as OAuthError).error).toBe("invalid_grant");
  });

  it("counts against its campaign publisher's rate limit, whatever the IP", async () => {
    const t = await apiKeyToken();
    const remaining = (res: Response) => Number(/"total";r=(\d+)/.exec(res.headers.get("RateLimit") ?? "")?.[1]);
    const at = (ip: string) => fetchWith({}, "/api/v2.4/publisher/fields/601", { headers: { ...bearer(t.access_token), "CF-Connecting-IP": ip } });
    const one = await at(freshIp());
    const two = await at(freshIp());
    expect(one.status).toBe(200);
    expect(remaining(two)).toBe(remaining(one) - 1);
  });

  it("refreshes into a new pair, says when a token expired, and dies with its key", async () => {
    const t = await apiKeyToken("5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b");
    const refreshed = await token({ grant_type: "refresh_token", refresh_token: t.refresh_token, ...CLIENT });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as TokenBody;
    expect(next.scope).toBe("publisher:13 campaign:601");
    expect((await call("/api/v2.4/publisher/fields/601", { headers: bearer(next.access_token) })).status).toBe(200);

    const claims = decodeJwt(next.access_token);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(jwtKey(env));
    const late = await call("/api/v2.4/publisher/fields/601", { headers: bearer(expired) });
    expect(late.status).toBe(401);
    expect(await late.json()).toEqual({ error: "invalid_grant", error_description: "The access token provided has expired." });

    const admin = await loginAs(DEMO.admin);
    const cp = await env.DB.prepare("SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 13").first<{ id: number }>();
    expect((await call(`/api/v4/campaign-publishers/${cp!.id}/rotate-key`, { method: "POST", headers: bearer(admin) })).status).toBe(200);
    const revoked = await call("/api/v2.4/publisher/fields/601", { headers: bearer(next.access_token) });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as OAuthError).error_description).toBe("The access token provided is invalid.");
    const dead = await token({ grant_type: "refresh_token", refresh_token: next.refresh_token, ...CLIENT });
    expect(((await dead.json()) as OAuthError).error).toBe("invalid_grant");
  });
});
