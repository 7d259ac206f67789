import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { leadObject, subscribeToLead } from "../../src/leads/client";
import { deliverDueCallbacks } from "../../src/leads/sync-callbacks";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { insertLead, processLeads, rows } from "./fixtures";

// lead_events.payload keeps only what the event alone says (issue 18): its type, time and the
// lead's hash are read from the row and the lead when a callback is sent, whose body is the same
// as when the payload held all of it. Events stored in the full form read the same.

const CALLBACK = "https://compact.example/api/webhook/sync";
let cpId: number;
let bodies: string[] = [];

beforeAll(async () => {
  cpId = (await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 13`).first<{ id: number }>())!.id;
});
beforeEach(() => {
  bodies = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith("https://compact.example/")) return realFetch(input, init);
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
    expect(event!.payload).toBe(JSON.stringify({ leadId: id, flag: "Valid", previousFlag: null, reason: "Score 100/100; all jobs passed." }));
    const hash = (await env.DB.prepare(`SELECT lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ lead_hash: string }>())!.lead_hash;
    expect(bodies).toEqual([JSON.stringify({
      type: "lead.status_changed", eventId: event!.id, leadId: id, leadHash: hash, flag: "Valid", previousFlag: null,
      reason: "Score 100/100; all jobs passed.", occurredTs: iso(event!.created_ts),
    })]);
  });

  it("an event stored in the full form is sent as stored", async () => {
    const { id, subscriptionId } = await subscribed();
    const stored = {
      type: "lead.status_changed", leadId: id, leadHash: "stored-hash", flag: "Invalid", previousFlag: "Valid",
      reason: "Fake company", occurredTs: "2026-01-02T03:04:05+00:00",
    };
    const now = Date.now();
    const [event] = await env.DB.batch([
      env.DB.prepare(`INSERT INTO lead_events (lead_id, type, payload, created_ts) VALUES (?1, 'lead.status_changed', ?2, ?3) RETURNING id`)
        .bind(id, JSON.stringify(stored), now),
      env.DB.prepare(
        `INSERT INTO webhook_deliveries (id, event_id, subscription_id, lead_id, status, attempts, next_attempt_ts, created_ts)
         VALUES ('msg_fullform', (SELECT max(id) FROM lead_events WHERE lead_id = ?1), ?2, ?1, 'pending', 0, 0, ?3)`,
      ).bind(id, subscriptionId, now),
    ]);
    const eventId = (event!.results[0] as { id: number }).id;
    await deliverDueCallbacks(env, id);
    const { type, ...rest } = stored;
    expect(bodies).toEqual([JSON.stringify({ type, eventId, ...rest })]);
  });
});
