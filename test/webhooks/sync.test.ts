import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, webhookHeaders } from "../../src/webhooks/standard-webhooks";
import { call } from "../helpers";
import { insertJob, insertLead } from "../integrations/helpers";

// POST /api/webhook/sync, signed by an independent Standard Webhooks implementation (the
// `standardwebhooks` package) with the secret of a delivery, as a client enterprise would.

const CLIENT = "https://client.example.test";
let remoteSeq = 9000;

async function delivered(clientUrl = CLIENT, remoteLeadId = String(++remoteSeq)) {
  const jobId = await insertJob(602, "convertr_connect", {
    enterpriseUrl: clientUrl, apiKey: "k".repeat(32), publisherId: 13, campaignId: 601, formId: 35, mapping: { email: "email" },
  });
  // Disabled, so that a lead marked Valid again is not handed to this (unreachable) client: the
  // sync tags of leads already delivered keep working.
  await env.DB.prepare("UPDATE campaign_processr_jobs SET enabled = 0 WHERE id = ?").bind(jobId).run();
  const lead = await insertLead(602, 12, 36, { email: `l${remoteLeadId}@example.org` });
  const secret = newWebhookSecret();
  await env.DB.prepare(
    `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, status, idempotency_key, remote_lead_id, sync_secret)
     VALUES (?, ?, 'delivered', ?, ?, ?)`,
  )
    .bind(lead.id, jobId, crypto.randomUUID(), remoteLeadId, secret)
    .run();
  return { leadId: lead.id, remoteLeadId: Number(remoteLeadId), secret };
}

let eventSeq = 100;
function event(remoteLeadId: number, flag: string | null, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    type: "lead.status_changed", eventId: ++eventSeq, leadId: remoteLeadId, leadHash: "f".repeat(32), flag,
    previousFlag: null, reason: null, occurredTs: "2026-11-26T10:00:00+00:00", ...extra,
  });
}

function signed(secret: string, body: string, opts: { id?: string; at?: Date } = {}) {
  const id = opts.id ?? `msg_${crypto.randomUUID()}`;
  const at = opts.at ?? new Date();
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    method: "POST",
    headers: {
      "Content-Type": "application/json", "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature,
    },
    body,
  };
}

const flagOf = async (id: number) => (await env.DB.prepare("SELECT flag FROM leads WHERE id = ?").bind(id).first<{ flag: string }>())!.flag;
const transitions = async (id: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM lead_notes WHERE lead_id = ? AND to_flag IS NOT NULL").bind(id).first<{ n: number }>())!.n;

describe("POST /api/webhook/sync", () => {
  it("applies a client's Invalid with its reason, through the lead object", async () => {
    const d = await delivered();
    const res = await call("/api/webhook/sync", signed(d.secret, event(d.remoteLeadId, "Invalid", { reason: "Bounced email" })));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 200, message: "Lead marked Invalid.", changed: true });
    expect(await flagOf(d.leadId)).toBe("Invalid");
    const note = await env.DB.prepare("SELECT author, reason, from_flag, to_flag FROM lead_notes WHERE lead_id = ? ORDER BY id DESC").bind(d.leadId).first();
    expect(note).toEqual({ author: `sync:${CLIENT}`, reason: "Bounced email", from_flag: "Valid", to_flag: "Invalid" });
  });

  it("maps exactly the four triggers: Valid → Valid; Invalid, Caution, Deleted → Invalid; Test changes nothing", async () => {
    const d = await delivered();
    const send = async (body: string) => (await call("/api/webhook/sync", signed(d.secret, body))).json() as Promise<{ changed: boolean }>;
    expect((await send(event(d.remoteLeadId, "Caution", { reason: "Job title unclear" }))).changed).toBe(true);
    expect(await flagOf(d.leadId)).toBe("Invalid");
    expect((await env.DB.prepare("SELECT reason FROM lead_notes WHERE lead_id = ? ORDER BY id DESC").bind(d.leadId).first())!.reason)
      .toBe("Job title unclear (client status: Caution)");
    expect((await send(event(d.remoteLeadId, "Valid"))).changed).toBe(true);
    expect(await flagOf(d.leadId)).toBe("Valid");
    const test = await send(event(d.remoteLeadId, "Test"));
    expect(test).toEqual({ code: 200, message: "Client status Test has no sync trigger; nothing changed.", changed: false });
    expect(await flagOf(d.leadId)).toBe("Valid");
    expect((await send(event(d.remoteLeadId, null, { type: "lead.deleted", reason: null }))).changed).toBe(true);
    expect(await flagOf(d.leadId)).toBe("Invalid");
    expect((await env.DB.prepare("SELECT reason FROM lead_notes WHERE lead_id = ? ORDER BY id DESC").bind(d.leadId).first())!.reason)
      .toBe("Deleted at the client (client status: Deleted)");
    // Already Invalid: accepted, nothing changes.
    expect((await send(event(d.remoteLeadId, "Invalid"))).changed).toBe(false);
  });

  it("rejects a bad signature (401), a stale timestamp or missing headers (400), changing nothing", async () => {
    const d = await delivered();
    const body = event(d.remoteLeadId, "Invalid");
    const before = await transitions(d.leadId);
    const wrongSecret = await call("/api/webhook/sync", signed(newWebhookSecret(), body));
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ code: 401, message: "Invalid webhook signature." });
    const tampered = signed(d.secret, body);
    const bad = await call("/api/webhook/sync", { ...tampered, body: body.replace('"Invalid"', '"Valid"') });
    expect(bad.status).toBe(401);
    const stale = await call("/api/webhook/sync", signed(d.secret, body, { at: new Date(Date.now() - 6 * 60_000) }));
    expect(stale.status).toBe(400);
    expect(await stale.json()).toEqual({ code: 400, message: "webhook-timestamp is more than 5 minutes away from now." });
    const future = await call("/api/webhook/sync", signed(d.secret, body, { at: new Date(Date.now() + 6 * 60_000) }));
    expect(future.status).toBe(400);
    const bare = await call("/api/webhook/sync", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    expect(bare.status).toBe(400);
    expect(await flagOf(d.leadId)).toBe("Valid");
    expect(await transitions(d.leadId)).toBe(before);
  });

  it("refuses a replayed webhook-id with 409 and no change", async () => {
    const d = await delivered();
    const first = signed(d.secret, event(d.remoteLeadId, "Invalid"), { id: "msg_replay_1" });
    expect((await call("/api/webhook/sync", first)).status).toBe(200);
    // The client re-validates; an attacker (or a confused sender) replays the old Invalid.
    expect((await call("/api/webhook/sync", signed(d.secret, event(d.remoteLeadId, "Valid")))).status).toBe(200);
    const replay = await call("/api/webhook/sync", signed(d.secret, first.body, { id: "msg_replay_1" }));
    expect(replay.status).toBe(409);
    expect(await replay.json()).toEqual({ code: 409, message: "This webhook-id has already been received." });
    expect(await flagOf(d.leadId)).toBe("Valid");
  });

  it("ignores an event older than one already applied (callbacks out of order)", async () => {
    const d = await delivered();
    const older = event(d.remoteLeadId, "Invalid");
    const newer = event(d.remoteLeadId, "Valid");
    expect((await call("/api/webhook/sync", signed(d.secret, newer))).status).toBe(200);
    const late = await call("/api/webhook/sync", signed(d.secret, older));
    expect(late.status).toBe(200);
    expect(((await late.json()) as { changed: boolean }).changed).toBe(false);
    expect(await flagOf(d.leadId)).toBe("Valid");
  });

  it("tells deliveries of two clients with the same remote lead id apart by their secrets", async () => {
    const a = await delivered("https://a.example.test", "77777");
    const b = await delivered("https://b.example.test", "77777");
    const res = await call("/api/webhook/sync", signed(b.secret, event(77777, "Invalid", { reason: "from b" })));
    expect(res.status).toBe(200);
    expect(await flagOf(b.leadId)).toBe("Invalid");
    expect(await flagOf(a.leadId)).toBe("Valid");
  });

  it("answers 404 for a lead without sync tags and 400 for a body that is not a lead event", async () => {
    const d = await delivered();
    expect((await call("/api/webhook/sync", signed(d.secret, event(123456789, "Invalid")))).status).toBe(404);
    const notEvent = await call("/api/webhook/sync", signed(d.secret, JSON.stringify({ hello: "world" })));
    expect(notEvent.status).toBe(400);
    expect((await call("/api/webhook/sync", signed(d.secret, "{not json"))).status).toBe(400);
  });
});

describe("our Standard Webhooks signatures", () => {
  it("verify with the standardwebhooks library, and fail it when tampered with", async () => {
    const secret = newWebhookSecret();
    const body = event(1, "Valid");
    const headers = await webhookHeaders(secret, "msg_ours_1", body);
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(new Webhook(secret).verify(body, lower)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace("Valid", "Invalid"), lower)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, lower)).toThrow();
  });
});
