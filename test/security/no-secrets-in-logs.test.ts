import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { demoCampaignWebhookKey } from "../../src/db/seed";
import worker from "../../src/index";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, DEMO, form, json } from "../helpers";
import { fakeQueue, formBody, leadsPath, SIMPLE } from "../publisher/support";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";

// Runs the credential-bearing flows (password and MFA login, refresh, password reset, lead
// capture with token and keys, webhooks), failures included, then looks for every secret used in
// the logs table, the other free-text tables, and everything written to the console.

const WEBHOOK_KEY = "webhook-key-for-the-log-scan-0123456789";
const API_KEY = "0c463164f0d4fcb604d8fd9f80737476";
const secrets = new Set<string>();
const consoleOutput: string[] = [];
const queue = fakeQueue();

const vars = { WEBHOOK_KEY, PROCESSR_QUEUE: queue as unknown as Queue<ProcessrMessage> };
const send = (path: string, init: RequestInit) => {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", freshIp());
  return fetchWith(vars, path, { ...init, headers });
};
async function ok(res: Promise<Response>, status = 200): Promise<Record<string, string>> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return text ? JSON.parse(text) : {};
}
async function lastOutboxCode(to: string): Promise<string> {
  const row = await env.DB.prepare("SELECT body FROM outbox_messages WHERE \"to\" = ? ORDER BY id DESC LIMIT 1").bind(to).first<{ body: string }>();
  return /(\d{6,8})/.exec(row!.body)![1]!;
}

beforeAll(() => {
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleOutput.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});
afterAll(() => vi.restoreAllMocks());

describe("no secret reaches a log", () => {
  it("runs the flows", async () => {
    for (const user of [DEMO.admin, DEMO.northwind, DEMO.mfaAdmin]) secrets.add(user.password);
    secrets.add(API_KEY).add(WEBHOOK_KEY);
    if (env.JWT_SECRET) secrets.add(env.JWT_SECRET);

    // Password login, a wrong password, refresh.
    const admin = await ok(send("/api/login", form({ username: DEMO.admin.username, password: DEMO.admin.password })));
    secrets.add(admin.access_token!).add(admin.refresh_token!);
    secrets.add("wrong-Password-guess-42");
    await ok(send("/api/login", form({ username: DEMO.admin.username, password: "wrong-Password-guess-42" })), 400);
    const refreshed = await ok(send("/api/login", form({ grant_type: "refresh_token", refresh_token: admin.refresh_token! })));
    secrets.add(refreshed.access_token!).add(refreshed.refresh_token!);
    await ok(send("/api/login", form({ grant_type: "refresh_token", refresh_token: admin.refresh_token! })), 400); // replay

    // MFA: code, wrong code, right code.
    const mfa = await ok(send("/api/login", form({ username: DEMO.mfaAdmin.username, password: DEMO.mfaAdmin.password })), 401);
    secrets.add(mfa.mfa_token!);
    const code = await lastOutboxCode(DEMO.mfaAdmin.telephone);
    secrets.add(code);
    const wrongCode = code === "000000" ? "111111" : "000000";
    await ok(send("/api/login", form({ ...DEMO.mfaAdmin, mfa_token: mfa.mfa_token!, mfa_code: wrongCode })), 400);
    const mfaLogin = await ok(send("/api/login", form({ username: DEMO.mfaAdmin.username, password: DEMO.mfaAdmin.password, mfa_token: mfa.mfa_token!, mfa_code: code })));
    secrets.add(mfaLogin.access_token!).add(mfaLogin.refresh_token!);

    // Password reset: the code, and the new password.
    await ok(send("/api/password-reset", form({ username: DEMO.northwind.username })), 202);
    const resetCode = await lastOutboxCode(DEMO.northwind.username);
    secrets.add(resetCode).add("Brand-new-password-2027");
    await ok(send("/api/password-reset/confirm", form({ username: DEMO.northwind.username, code: resetCode, newPassword: "Brand-new-password-2027" })), 202);
    const northwind = await ok(send("/api/login", form({ username: DEMO.northwind.username, password: "Brand-new-password-2027" })));
    secrets.add(northwind.access_token!).add(northwind.refresh_token!);

    // Lead capture with a publisher token, with the API key, and with a wrong key and a bad token.
    await ok(send(leadsPath(12, 35, 601), { ...form({}), body: formBody(SIMPLE), headers: { "Content-Type": "application/x-www-form-urlencoded", ...bearer(northwind.access_token!) } }), 201);
    await ok(send(leadsPath(12, 35, 601), { ...form({}), body: formBody({ ...SIMPLE, email: "two@example.com" }), headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": API_KEY } }), 201);
    const badKey = "ffffffffffffffffffffffffffffffff";
    secrets.add(badKey);
    expect((await send(leadsPath(12, 35, 601), { method: "POST", body: formBody(SIMPLE), headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": badKey } })).status).toBe(401);
    expect((await send(leadsPath(12, 35, 601), { method: "POST", body: formBody(SIMPLE), headers: { "Content-Type": "application/x-www-form-urlencoded", ...bearer(`${northwind.access_token!}tampered`) } })).status).toBe(401);

    // The campaign webhook, with its key in the query string.
    const campaignKey = await demoCampaignWebhookKey("acme", 601);
    secrets.add(campaignKey);
    const hook = await send(`/webhook/campaign/601/global-form/35/leads?apikey=${campaignKey}&campaignLinkId=25&publisherId=12`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: formBody({ ...SIMPLE, email: "three@example.com" }),
    });
    expect(hook.status).toBe(201);

    // The Processr runs on what was captured (its logs are the logs table).
    const batch = createMessageBatch<ProcessrMessage>(
      "leadflare-processr",
      queue.sent.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    expect(batch.messages.length).toBeGreaterThanOrEqual(3);
    const ctx = createExecutionContext();
    await worker.queue!(batch, { ...env, ...vars }, ctx);
    await getQueueResult(batch, ctx);

    // Validation webhook with the webhook key, in the header and in the query string.
    const lead = await env.DB.prepare("SELECT lead_hash FROM leads ORDER BY id DESC LIMIT 1").first<{ lead_hash: string }>();
    expect((await send(`/api/webhook/invalidate/${lead!.lead_hash}`, { ...form({ reason: "test", user: "scan" }, { "X-Webhook-Key": WEBHOOK_KEY }) })).status).toBe(201);
    expect((await send(`/api/webhook/validate/${lead!.lead_hash}?key=${WEBHOOK_KEY}`, form({ reason: "test", user: "scan" }))).status).toBe(201);
    expect((await send(`/api/webhook/validate/${lead!.lead_hash}?key=wrong-${WEBHOOK_KEY}`, form({ reason: "x", user: "y" }))).status).toBe(401);

    // v4 with a token, and a password change.
    await send("/api/v4/leads", { headers: bearer(mfaLogin.access_token!) });
    secrets.add("Changed-password-2028");
    await send(`/api/v4/users/${DEMO.admin.id}/change-password`, json({ currentPassword: DEMO.admin.password, newPassword: "Changed-password-2028" }, "POST", bearer(refreshed.access_token!)));
  });

  it("the logs table and the other free-text tables hold none of them", async () => {
    const tables: [string, string][] = [
      ["logs", "SELECT message || ' ' || coalesce(context, '') AS t FROM logs"],
      ["lead_notes", "SELECT author || ' ' || note || ' ' || coalesce(reason, '') AS t FROM lead_notes"],
      ["lead_datas", "SELECT name || ' ' || value AS t FROM lead_datas"],
      ["lead_events", "SELECT type || ' ' || payload AS t FROM lead_events"],
    ];
    let rows = 0;
    for (const [table, sql] of tables) {
      const { results } = await env.DB.prepare(sql).all<{ t: string }>();
      rows += results.length;
      const text = results.map((r) => r.t).join("\n");
      for (const secret of secrets) expect(text.includes(secret), `${table} contains a secret`).toBe(false);
    }
    expect(rows).toBeGreaterThan(0);
    // The Processr wrote its logs for the captured leads: the scan above had something to scan.
    expect((await env.DB.prepare("SELECT count(*) AS n FROM logs").first<{ n: number }>())!.n).toBeGreaterThan(0);
    expect(secrets.size).toBeGreaterThan(15);
  });

  it("the console output holds none of them", () => {
    const text = consoleOutput.join("\n");
    for (const secret of secrets) expect(text.includes(secret), `console output contains ${secret.slice(0, 4)}…`).toBe(false);
  });
});
