import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { leadObject } from "../../src/leads/client";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { call } from "../helpers";
import { insertJob, insertLead } from "../integrations/helpers";

// POST /api/webhook/sync with a batch of lead events (what a leadflare sender sends to a receiver
// whose /.well-known/leadflare names its path as syncCallbackBatches), signed by the independent
// `standardwebhooks` package once per delivery secret: each event is verified, deduplicated and
// applied as a single callback of it would be, and answered on its own.

const CLIENT = "https://batch-client.example.test";
let remote = 7000;

/** Leads delivered to the client with a sync tag: each its own remote lead id and secret. */
async function deliveredLeads(n: number) {
  const jobId = await insertJob(602, "convertr_connect", {
    enterpriseUrl: CLIENT, apiKey: "b".repeat(32), publisherId: 13, campaignId: 601, formId: 35, mapping: { email: "email" },
  });
  // Disabled: a lead marked Valid again is not handed back to this unreachable client.
  await env.DB.prepare("UPDATE campaign_processr_jobs SET enabled = 0 WHERE id = ?").bind(jobId).run();
  const out: { leadId: number; remoteLeadId: number; secret: string }[] = [];
  for (let i = 0; i < n; i++) {
    const remoteLeadId = ++remote;
    const lead = await insertLead(602, 12, 36, { email: `batch${remoteLeadId}@example.org` });
    const secret = newWebhookSecret();
    await env.DB.prepare(
      `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, status, idempotency_key, remote_lead_id, sync_secret)
       VALUES (?, ?, 'delivered', ?, ?, ?)`,
    ).bind(lead.id, jobId, crypto.randomUUID(), String(remoteLeadId), secret).run();
    out.push({ leadId: lead.id, remoteLeadId, secret });
  }
  return { jobId, leads: out };
}

let eventId = 500;
const item = (remoteLeadId: number, flag: string, extra: Record<string, unknown> = {}) => ({
  type: "lead.status_changed", eventId: ++eventId, leadId: remoteLeadId, leadHash: "e".repeat(32), flag, previousFlag: null,
  reason: null, occurredTs: "2026-11-30T03:00:00+00:00", webhookId: `msg_${crypto.randomUUID().replace(/-/g, "")}`, ...extra,
});

function signedBatch(secrets: string[], events: unknown[], at = new Date()) {
  const id = `batch_${crypto.randomUUID().replace(/-/g, "")}`;
  const body = JSON.stringify({ type: "lead.events", events });
  return {
    method: "POST",
    headers: {
      "Content-Type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": secrets.map((s) => new Webhook(s).sign(id, at, body)).join(" "),
    },
    body,
  };
}

const flagOf = async (id: number) => (await env.DB.prepare("SELECT flag FROM leads WHERE id = ?").bind(id).first<{ flag: string }>())!.flag;
const notes = async (id: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM lead_notes WHERE lead_id = ? AND to_flag IS NOT NULL").bind(id).first<{ n: number }>())!.n;
type Answer = { code: number; message: string; results: { webhookId: string; status: number; message: string; changed: boolean }[] };

describe("POST /api/webhook/sync with a batch", () => {
  it("applies each event of the batch through its lead's object, once, and answers each", async () => {
    const { leads: [a, b] } = await deliveredLeads(2);
    const events = [item(a!.remoteLeadId, "Invalid", { reason: "Bounced" }), item(b!.remoteLeadId, "Caution")];
    const req = signedBatch([a!.secret, b!.secret], events);
    const res = await call("/api/webhook/sync", req);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer.results).toEqual([
      { webhookId: events[0]!.webhookId, status: 200, message: "Lead marked Invalid.", changed: true },
      { webhookId: events[1]!.webhookId, status: 200, message: "Lead marked Invalid.", changed: true },
    ]);
    expect([await flagOf(a!.leadId), await flagOf(b!.leadId)]).toEqual(["Invalid", "Invalid"]);

    // The same batch again (a retried request): each event was received already, nothing changes.
    const again = (await (await call("/api/webhook/sync", signedBatch([a!.secret, b!.secret], events))).json()) as Answer;
    expect(again.results.map((r) => r.status)).toEqual([409, 409]);
    expect([await notes(a!.leadId), await notes(b!.leadId)]).toEqual([1, 1]);
  });

  it("an event's delivery id is the same idempotency key as a single callback's webhook-id", async () => {
    const { leads: [a] } = await deliveredLeads(1);
    const ev = item(a!.remoteLeadId, "Invalid");
    const { webhookId, ...single } = ev;
    const body = JSON.stringify(single);
    const at = new Date();
    const res = await call("/api/webhook/sync", {
      method: "POST",
      headers: {
        "Content-Type": "application/json", "webhook-id": webhookId, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(a!.secret).sign(webhookId, at, body),
      },
      body,
    });
    expect(res.status).toBe(200);
    const batch = (await (await call("/api/webhook/sync", signedBatch([a!.secret], [ev]))).json()) as Answer;
    expect(batch.results[0]).toMatchObject({ webhookId, status: 409 });
    expect(await notes(a!.leadId)).toBe(1);
  });

  it("verifies each event with its own delivery's secret: an event no listed signature covers is refused alone", async () => {
    const { leads: [a, b] } = await deliveredLeads(2);
    // Signed with a's secret only: b's event claims b's lead but b's secret signed nothing.
    const events = [item(a!.remoteLeadId, "Invalid"), item(b!.remoteLeadId, "Invalid"), item(999_999, "Invalid")];
    const answer = (await (await call("/api/webhook/sync", signedBatch([a!.secret], events))).json()) as Answer;
    expect(answer.results.map((r) => r.status)).toEqual([200, 401, 404]);
    expect([await flagOf(a!.leadId), await flagOf(b!.leadId)]).toEqual(["Invalid", "Valid"]);
    // Nothing verifies at all: the request is refused as a single callback would be.
    const res = await call("/api/webhook/sync", signedBatch([newWebhookSecret()], [item(b!.remoteLeadId, "Invalid")]));
    expect(res.status).toBe(401);
    const stale = await call("/api/webhook/sync", signedBatch([b!.secret], [item(b!.remoteLeadId, "Invalid")], new Date(Date.now() - 3_600_000)));
    expect(stale.status).toBe(400);
    expect(await flagOf(b!.leadId)).toBe("Valid");
  });

  it("applies a lead's events in order; an older one than the last applied changes nothing", async () => {
    const { leads: [a] } = await deliveredLeads(1);
    const test = item(a!.remoteLeadId, "Test");
    const newer = item(a!.remoteLeadId, "Invalid");
    const older = item(a!.remoteLeadId, "Valid", { eventId: newer.eventId - 1 });
    const answer = (await (await call("/api/webhook/sync", signedBatch([a!.secret], [test, newer, older]))).json()) as Answer;
    expect(answer.results.map((r) => [r.status, r.changed])).toEqual([[200, false], [200, true], [200, false]]);
    expect(answer.results[2]!.message).toBe("An event at least as recent was already applied; nothing changed.");
    expect(await flagOf(a!.leadId)).toBe("Invalid");
  });

  it("decides each lead's first transition from one read and writes them together; later events follow in order", async () => {
    const { leads } = await deliveredLeads(6);
    const [first, ...rest] = leads;
    const events = [
      item(first!.remoteLeadId, "Invalid", { reason: "Bounced" }),
      ...rest.map((l) => item(l.remoteLeadId, "Caution")),
      item(first!.remoteLeadId, "Valid", { reason: "Re-checked" }),
    ];
    const answer = (await (await call("/api/webhook/sync", signedBatch(leads.map((l) => l.secret), events))).json()) as Answer;
    expect(answer.results.map((r) => [r.status, r.changed])).toEqual(events.map(() => [200, true]));
    expect(await flagOf(first!.leadId)).toBe("Valid");
    for (const l of rest) expect(await flagOf(l.leadId)).toBe("Invalid");
    const chain = await env.DB.prepare("SELECT from_flag, to_flag, reason FROM lead_notes WHERE lead_id = ? ORDER BY id").bind(first!.leadId).all();
    expect(chain.results).toEqual([
      { from_flag: "Valid", to_flag: "Invalid", reason: "Bounced" },
      { from_flag: "Invalid", to_flag: "Valid", reason: "Re-checked" },
    ]);
  });

  it("a lead tagged at two clients, both calling back in one batch, changes once", async () => {
    const { leads: [a] } = await deliveredLeads(1);
    const { jobId } = await deliveredLeads(0);
    const secret = newWebhookSecret();
    await env.DB.prepare(
      `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, status, idempotency_key, remote_lead_id, sync_secret)
       VALUES (?, ?, 'delivered', ?, ?, ?)`,
    ).bind(a!.leadId, jobId, crypto.randomUUID(), String(++remote), secret).run();
    const events = [item(a!.remoteLeadId, "Invalid"), item(remote, "Invalid")];
    const answer = (await (await call("/api/webhook/sync", signedBatch([a!.secret, secret], events))).json()) as Answer;
    expect(answer.results.map((r) => [r.status, r.message])).toEqual([[200, "Lead marked Invalid."], [200, "Lead already Invalid; nothing changed."]]);
    expect(await notes(a!.leadId)).toBe(1);
  });

  it("a write of the batch's transitions that fails changes nothing and gives the receipts back; the retried batch applies", async () => {
    const { leads: [a, b] } = await deliveredLeads(2);
    const events = [item(a!.remoteLeadId, "Invalid"), item(b!.remoteLeadId, "Invalid"), item(a!.remoteLeadId, "Valid")];
    await env.DB.exec(`CREATE TRIGGER fail_sync_note BEFORE INSERT ON lead_note_rows WHEN NEW.lead_id = ${b!.leadId} BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    const failed = (await (await call("/api/webhook/sync", signedBatch([a!.secret, b!.secret], events))).json()) as Answer;
    await env.DB.exec(`DROP TRIGGER fail_sync_note`);
    expect(failed.results.map((r) => r.status)).toEqual([500, 500, 424]);
    expect([await flagOf(a!.leadId), await flagOf(b!.leadId), await notes(a!.leadId), await notes(b!.leadId)]).toEqual(["Valid", "Valid", 0, 0]);
    const retried = (await (await call("/api/webhook/sync", signedBatch([a!.secret, b!.secret], events))).json()) as Answer;
    expect(retried.results.map((r) => [r.status, r.changed])).toEqual([[200, true], [200, true], [200, true]]);
    expect([await flagOf(a!.leadId), await flagOf(b!.leadId), await notes(a!.leadId), await notes(b!.leadId)]).toEqual(["Valid", "Invalid", 2, 1]);
  });

  it("takes an event listed twice in one batch once, records each lead's latest event and hash in one write", async () => {
    const { jobId, leads: [a, b] } = await deliveredLeads(2);
    const first = item(a!.remoteLeadId, "Invalid", { leadHash: "1".repeat(32) });
    const later = item(a!.remoteLeadId, "Valid", { leadHash: "2".repeat(32) });
    const other = item(b!.remoteLeadId, "Invalid", { leadHash: "3".repeat(32) });
    const answer = (await (await call("/api/webhook/sync", signedBatch([a!.secret, b!.secret], [first, first, later, other]))).json()) as Answer;
    expect(answer.results.map((r) => r.status)).toEqual([200, 409, 200, 200]);
    expect([await flagOf(a!.leadId), await flagOf(b!.leadId)]).toEqual(["Valid", "Invalid"]);
    const recorded = await env.DB.prepare(
      "SELECT lead_id, last_sync_event_id, remote_lead_hash FROM integration_deliveries WHERE campaign_processr_job_id = ? ORDER BY lead_id",
    ).bind(jobId).all();
    expect(recorded.results).toEqual([
      { lead_id: a!.leadId, last_sync_event_id: later.eventId, remote_lead_hash: "1".repeat(32) },
      { lead_id: b!.leadId, last_sync_event_id: other.eventId, remote_lead_hash: "3".repeat(32) },
    ]);
  });

  it("confirms a lead already at the client's verdict without calling its lead object", async () => {
    const { leads: [a, b] } = await deliveredLeads(2);
    const events = [item(a!.remoteLeadId, "Valid"), item(b!.remoteLeadId, "Invalid")];
    const answer = (await (await call("/api/webhook/sync", signedBatch([a!.secret, b!.secret], events))).json()) as Answer;
    expect(answer.results.map(({ status, message, changed }) => ({ status, message, changed }))).toEqual([
      { status: 200, message: "Lead already Valid; nothing changed.", changed: false },
      { status: 200, message: "Lead marked Invalid.", changed: true },
    ]);
    expect([await flagOf(a!.leadId), await flagOf(b!.leadId)]).toEqual(["Valid", "Invalid"]);
    expect([await notes(a!.leadId), await notes(b!.leadId)]).toEqual([0, 1]);
    // An object takes its lead from its name on its first call (in memory): neither was called (a's decision
    // writes nothing; b's stores nothing in the object, no hand-off and no callbacks: decideLead makes it).
    const bound = (leadId: number) => runInDurableObject(leadObject(env, leadId), (object) => (object as unknown as { leadId?: number }).leadId);
    expect([await bound(a!.leadId), await bound(b!.leadId)]).toEqual([undefined, undefined]);
  });

  it("answers 410 for the events of removed tags, and refuses a malformed batch", async () => {
    const { jobId, leads: [a] } = await deliveredLeads(1);
    await env.DB.prepare("INSERT INTO sync_tag_states (campaign_processr_job_id, placed_ts, removed_ts, updated_ts) VALUES (?1, 1, 2, 2)").bind(jobId).run();
    const answer = (await (await call("/api/webhook/sync", signedBatch([a!.secret], [item(a!.remoteLeadId, "Invalid")]))).json()) as Answer;
    expect(answer.results[0]).toMatchObject({ status: 410 });
    expect(await flagOf(a!.leadId)).toBe("Valid");
    for (const events of [[], [{ ...item(a!.remoteLeadId, "Invalid"), webhookId: "has.dot" }], Array.from({ length: 51 }, () => item(a!.remoteLeadId, "Valid"))]) {
      const res = await call("/api/webhook/sync", signedBatch([a!.secret], events));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ code: 400, message: "The body is not a batch of lead events." });
    }
  });
});
