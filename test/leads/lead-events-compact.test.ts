import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { leadObject, subscribeToLead, transitionLead } from "../../src/leads/client";
import { deliverDueCallbacks } from "../../src/leads/sync-callbacks";
import { ERASED, eraseLeadsInD1 } from "../../src/lists/erasure";
import { restoreArchivedLead } from "../../src/archive/restore";
import { archiveNow, whereIs } from "../archive/helpers";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { agencyContract601, insertLead, interceptFetch, processLeads, rows } from "./fixtures";

// lead_events.payload keeps only what the event alone says (issue 18), its null facts left out: its
// type, time and the lead's id and hash are read from the row and the lead when a callback is
// sent, whose body is the same as when the payload held all of it. Events stored in an earlier
// form (the full body, or with the lead's id and nulls) read the same.

const CALLBACK = "https://compact.example/api/webhook/sync";
let cpId: number;
let bodies: string[] = [];

beforeAll(async () => {
  cpId = await agencyContract601();
});
beforeEach(() => {
  bodies = [];
  interceptFetch("https://compact.example/", async (req) => {
    bodies.push(await req.text());
    return new Response(null, { status: 204 });
  });
});
afterEach(() => vi.restoreAllMocks());

async function subscribed() {
  const id = await insertLead();
  const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret: newWebhookSecret() });
  if (!sub.ok) throw new Error(sub.message);
  return { id, subscriptionId: sub.subscriptionId };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");

describe("lead events stored compactly", () => {
  it("store the event's own facts, and its callback carries the whole body in the documented order", async () => {
    const { id } = await subscribed();
    await processLeads(id);
    await runDurableObjectAlarm(leadObject(env, id));
    const [event] = await rows<{ id: number; type: string; payload: string; created_ts: number }>(
      `SELECT id, type, payload, created_ts FROM lead_events WHERE lead_id = ?1`, id,
    );
    // The Processr's note says the same (to_flag, from_flag, reason): the event holds only its id.
    const [note] = await rows<{ id: number }>(`SELECT id FROM lead_note_rows WHERE lead_id = ?1`, id);
    expect(event!.payload).toBe(JSON.stringify({ n: note!.id }));
    const hash = (await env.DB.prepare(`SELECT lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ lead_hash: string }>())!.lead_hash;
    expect(bodies).toEqual([JSON.stringify({
      type: "lead.status_changed", eventId: event!.id, leadId: id, leadHash: hash, flag: "Valid", previousFlag: null,
      reason: "Score 100/100; all jobs passed.", occurredTs: iso(event!.created_ts),
    })]);
  });

  it("a deletion stores only its previous flag, and its callback says flag and reason null", async () => {
    const { id } = await subscribed();
    await processLeads(id);
    await runDurableObjectAlarm(leadObject(env, id));
    bodies = [];
    const del = await transitionLead(env, { leadId: id, to: "Deleted", source: "delete", userId: 167, author: "admin@acme.test" });
    expect(del).toMatchObject({ ok: true, changed: true });
    await runDurableObjectAlarm(leadObject(env, id));
    const [event] = await rows<{ id: number; payload: string; created_ts: number }>(
      `SELECT id, payload, created_ts FROM lead_events WHERE lead_id = ?1 AND type = 'lead.deleted'`, id,
    );
    expect(event!.payload).toBe(JSON.stringify({ previousFlag: "Valid" }));
    const hash = (await env.DB.prepare(`SELECT lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ lead_hash: string }>())!.lead_hash;
    expect(bodies).toEqual([JSON.stringify({
      type: "lead.deleted", eventId: event!.id, leadId: id, leadHash: hash, flag: null, previousFlag: "Valid", reason: null,
      occurredTs: iso(event!.created_ts),
    })]);
  });

  it("an event stored as its note's id takes that note's reason as erasure left it", async () => {
    const { id } = await subscribed();
    await processLeads(id);
    await runDurableObjectAlarm(leadObject(env, id));
    bodies = [];
    const email = (await env.DB.prepare(`SELECT email FROM leads WHERE id = ?1`).bind(id).first<{ email: string }>())!.email;
    const reason = `Bounced: ${email} does not exist`;
    const changed = await transitionLead(env, { leadId: id, to: "Invalid", source: "manual", userId: 167, author: "admin@acme.test", reason });
    expect(changed).toMatchObject({ ok: true, changed: true });
    const [event] = await rows<{ id: number; payload: string; created_ts: number }>(
      `SELECT id, payload, created_ts FROM lead_events WHERE lead_id = ?1 ORDER BY id DESC LIMIT 1`, id,
    );
    const [note] = await rows<{ id: number }>(`SELECT id FROM lead_note_rows WHERE lead_id = ?1 AND reason = ?2`, id, reason);
    expect(event!.payload).toBe(JSON.stringify({ n: note!.id }));
    // Erased before its callback goes out: the callback quotes the note's reason as erased, as it
    // quoted the event's own reason, erased the same way, when the event held it.
    await eraseLeadsInD1(env, { type: "erasure", listId: 1, emails: [email], userId: null, author: "admin@acme.test" });
    await runDurableObjectAlarm(leadObject(env, id));
    const hash = (await env.DB.prepare(`SELECT lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ lead_hash: string }>())!.lead_hash;
    expect(bodies).toEqual([JSON.stringify({
      type: "lead.status_changed", eventId: event!.id, leadId: id, leadHash: hash, flag: "Invalid", previousFlag: "Valid",
      reason: `Bounced: ${ERASED} does not exist`, occurredTs: iso(event!.created_ts),
    })]);
  });

  it("an event stored as its note's id is sent the same after its lead was archived and restored", async () => {
    const { id } = await subscribed();
    await processLeads(id);
    await runDurableObjectAlarm(leadObject(env, id));
    expect(bodies).toHaveLength(1);
    await archiveNow([id]);
    expect(await whereIs(id)).toBe("archive");
    expect(await restoreArchivedLead(env, id)).toBe(true);
    const [event] = await rows<{ id: number; payload: string }>(`SELECT id, payload FROM lead_events WHERE lead_id = ?1`, id);
    expect(JSON.parse(event!.payload)).toEqual({ n: expect.any(Number) });
    // The same delivery sent again: the same body, read through the restored note.
    await env.DB.prepare(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_ts = 0 WHERE event_id = ?1`).bind(event!.id).run();
    await deliverDueCallbacks(env, id);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
  });

  /** Stores `payload` as a lead.status_changed event of the lead, pending for its subscription; sends it. */
  async function sendStored(id: number, subscriptionId: number, payload: object) {
    const now = Date.now();
    const [event] = await env.DB.batch([
      env.DB.prepare(`INSERT INTO lead_events (lead_id, type, payload, created_ts) VALUES (?1, 'lead.status_changed', ?2, ?3) RETURNING id`)
        .bind(id, JSON.stringify(payload), now),
      env.DB.prepare(
        `INSERT INTO webhook_deliveries (id, event_id, subscription_id, lead_id, status, attempts, next_attempt_ts, created_ts)
         VALUES ('msg_' || lower(hex(randomblob(16))), (SELECT max(id) FROM lead_events WHERE lead_id = ?1), ?2, ?1, 'pending', 0, 0, ?3)`,
      ).bind(id, subscriptionId, now),
    ]);
    await deliverDueCallbacks(env, id);
    return { eventId: (event!.results[0] as { id: number }).id, now };
  }

  it("an event stored in the full form is sent as stored", async () => {
    const { id, subscriptionId } = await subscribed();
    const stored = {
      type: "lead.status_changed", leadId: id, leadHash: "stored-hash", flag: "Invalid", previousFlag: "Valid",
      reason: "Fake company", occurredTs: "2026-01-02T03:04:05+00:00",
    };
    const { eventId } = await sendStored(id, subscriptionId, stored);
    const { type, ...rest } = stored;
    expect(bodies).toEqual([JSON.stringify({ type, eventId, ...rest })]);
  });

  it("an event stored with the lead's id and its nulls is sent as stored", async () => {
    const { id, subscriptionId } = await subscribed();
    const hash = (await env.DB.prepare(`SELECT lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ lead_hash: string }>())!.lead_hash;
    const { eventId, now } = await sendStored(id, subscriptionId, { leadId: id, flag: "Invalid", previousFlag: null, reason: null });
    expect(bodies).toEqual([JSON.stringify({
      type: "lead.status_changed", eventId, leadId: id, leadHash: hash, flag: "Invalid", previousFlag: null, reason: null, occurredTs: iso(now),
    })]);
  });
});
