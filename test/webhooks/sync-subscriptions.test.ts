import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { app } from "../../src/app";
import { type FetchHandler, insertLead, stubFetch } from "../integrations/helpers";

// The receiving side of sync tags: POST /api/sync/subscriptions and GET /api/sync/credentials,
// authenticated by the campaign-publisher API key that delivered the lead.

const KEY_13 = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // campaign 601, publisher 13
const KEY_12 = "0c463164f0d4fcb604d8fd9f80737476"; // campaign 601, publisher 12
const CALLBACK = "https://agency.example.test/api/webhook/sync";
// The lead object calls subscribers back at once for flagged leads: answer those calls here.
const callbacks: Request[] = [];
const handler: { current: FetchHandler } = { current: (req) => (callbacks.push(req), new Response(null, { status: 204 })) };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const subscribe = (key: string, body: unknown) => call("/api/sync/subscriptions", json(body, "POST", { "X-Api-Key": key }));

describe("POST /api/sync/subscriptions", () => {
  it("subscribes to a lead of the key's campaign and publisher, once per callback", async () => {
    const lead = await insertLead(601, 13, 35, { email: "sub@example.org" }, "Valid");
    const secret = newWebhookSecret();
    const res = await subscribe(KEY_13, { leadId: lead.id, callbackUrl: CALLBACK, secret });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { subscriptionId: number; leadId: number; leadHash: string };
    expect(body).toMatchObject({ leadId: lead.id, leadHash: lead.hash });
    const row = await env.DB.prepare("SELECT lead_id, callback_url, secret FROM sync_subscriptions WHERE id = ?").bind(body.subscriptionId).first();
    expect(row).toEqual({ lead_id: lead.id, callback_url: CALLBACK, secret });
    // Asked again (a retry after a lost answer): the same subscription, with the new secret.
    const secret2 = newWebhookSecret();
    const again = await subscribe(KEY_13, { leadId: lead.id, callbackUrl: CALLBACK, secret: secret2 });
    expect(((await again.json()) as { subscriptionId: number }).subscriptionId).toBe(body.subscriptionId);
    const n = await env.DB.prepare("SELECT count(*) AS n, max(secret) AS s FROM sync_subscriptions WHERE lead_id = ?").bind(lead.id).first();
    expect(n).toEqual({ n: 1, s: secret2 });
    // The lead is already Valid: its status is sent to the callback at once, signed.
    await vi.waitFor(() => expect(callbacks.some((r) => r.url === CALLBACK && r.headers.has("webhook-signature"))).toBe(true), { timeout: 10_000 });
  });

  it("answers 404 for a lead of another publisher or campaign, and for an unknown lead", async () => {
    const other = await insertLead(601, 12, 35, { email: "other@example.org" });
    const res = await subscribe(KEY_13, { leadId: other.id, callbackUrl: CALLBACK, secret: newWebhookSecret() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: "Lead not found" });
    expect((await subscribe(KEY_12, { leadId: 999999, callbackUrl: CALLBACK, secret: newWebhookSecret() })).status).toBe(404);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM sync_subscriptions WHERE lead_id = ?").bind(other.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("refuses bad input and callbacks that break the outbound URL policy", async () => {
    const lead = await insertLead(601, 13, 35, { email: "bad@example.org" });
    const badSecret = await subscribe(KEY_13, { leadId: lead.id, callbackUrl: CALLBACK, secret: "hunter2" });
    expect(badSecret.status).toBe(400);
    expect(((await badSecret.json()) as { message: string }).message).toMatch(/^secret: /);
    // Base64 of 66 bytes: the right alphabet and length range, but too long a key. The error names the secret.
    const tooLong = `whsec_${btoa(String.fromCharCode(...new Uint8Array(66).fill(7)))}`;
    const longRes = await subscribe(KEY_13, { leadId: lead.id, callbackUrl: CALLBACK, secret: tooLong });
    expect(longRes.status).toBe(400);
    expect(await longRes.json()).toEqual({ code: 400, message: "secret: Must be a Standard Webhooks secret: whsec_ + base64 of 24–64 bytes." });
    const shortRes = await subscribe(KEY_13, { leadId: lead.id, callbackUrl: CALLBACK, secret: `whsec_${btoa("x".repeat(23))}` });
    expect(((await shortRes.json()) as { message: string }).message).toMatch(/^secret: /);
    // 24 and 64 bytes are both fine (on a lead not flagged yet, so that no callback is sent now).
    const unflagged = await insertLead(601, 13, 35, { email: "unflagged@example.org" });
    await env.DB.prepare("UPDATE leads SET flag = NULL WHERE id = ?").bind(unflagged.id).run();
    for (const n of [24, 64]) {
      const ok = await subscribe(KEY_13, { leadId: unflagged.id, callbackUrl: CALLBACK, secret: `whsec_${btoa("k".repeat(n))}` });
      expect(ok.status).toBe(201);
    }
    expect((await subscribe(KEY_13, { callbackUrl: CALLBACK, secret: newWebhookSecret() })).status).toBe(400);
    // The test environment allows private targets (local demo); with that off, the metadata address is refused.
    const res = await app.request("/api/sync/subscriptions", json(
      { leadId: lead.id, callbackUrl: "http://169.254.169.254/latest", secret: newWebhookSecret() }, "POST", { "X-Api-Key": KEY_13 },
    ), { ...env, ALLOW_PRIVATE_OUTBOUND: "false" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("callbackUrl: ");
  });

  it("needs the API key: no credentials 401, a wrong key 401, a user token 403", async () => {
    expect((await call("/api/sync/subscriptions", json({ leadId: 1, callbackUrl: CALLBACK, secret: newWebhookSecret() }))).status).toBe(401);
    expect((await subscribe("wrong-key", { leadId: 1, callbackUrl: CALLBACK, secret: newWebhookSecret() })).status).toBe(401);
    const admin = await loginAs(DEMO.admin);
    const res = await call("/api/sync/subscriptions", json({ leadId: 1, callbackUrl: CALLBACK, secret: newWebhookSecret() }, "POST", bearer(admin)));
    expect(res.status).toBe(403);
  });
});

describe("GET /api/sync/credentials", () => {
  it("names the campaign and publisher of the API key", async () => {
    const res = await call("/api/sync/credentials", { headers: { "X-Api-Key": KEY_13 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ campaignId: 601, publisherId: 13 });
    expect((await call("/api/sync/credentials", { headers: { "X-Api-Key": "nope" } })).status).toBe(401);
  });
});
