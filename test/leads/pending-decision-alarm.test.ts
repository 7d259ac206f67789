import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { leadObject, subscribeToLead } from "../../src/leads/client";
import type { Decision, LeadState } from "../../src/leads/lead-object";
import { readLeadStates } from "../../src/leads/lead-object";
import { appliedLeadIds, leadWriteStatements } from "../../src/leads/lead-writes";
import type { TransitionRequest } from "../../src/leads/types";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { agencyContract601, insertLead, interceptFetch, rows } from "./fixtures";

// A decision its caller commits (LeadObject.decide, as the Processr consumer and the sync webhook
// ask for) is covered by the safety alarm armed when it was decided: if the caller commits and
// then goes away before delivering its callbacks or telling the object, that alarm delivers them.
// Another wake-up of the object in between (an earlier retry, a repeated alarm) must not take
// that alarm away while the decision may still commit.

const CALLBACK = "https://agency.example/api/webhook/sync";
let cpId: number;
let received: { webhookId: string | null; body: string }[] = [];

beforeAll(async () => {
  cpId = await agencyContract601();
});
beforeEach(() => {
  received = [];
  interceptFetch("https://agency.example/", async (req) => {
    received.push({ webhookId: req.headers.get("webhook-id"), body: await req.text() });
    return new Response(null, { status: 204 });
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A lead not yet processed with one sync subscription (nothing sent: it has no status yet). */
async function subscribedLead() {
  const id = await insertLead();
  const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: CALLBACK, secret: newWebhookSecret() });
  if (!sub.ok) throw new Error(sub.message);
  return id;
}

/** The object's decision of a manual change from a fresh snapshot, not committed. */
async function decided(leadId: number, to: TransitionRequest["to"]) {
  const snapshot = (await readLeadStates(env.DB, [leadId])).get(leadId)! satisfies LeadState;
  const req = { leadId, to, source: "manual", userId: 167, author: "admin@acme.test", snapshot } as const;
  return (await leadObject(env, leadId).decide(req)) as Decision;
}

const alarmOf = (leadId: number) => runInDurableObject(leadObject(env, leadId), (_, state) => state.storage.getAlarm());
const deliveries = (leadId: number) =>
  rows<{ id: string; status: string; attempts: number }>(`SELECT id, status, attempts FROM webhook_deliveries WHERE lead_id = ?1`, leadId);

describe("the safety alarm of a decision its caller commits", () => {
  it("is kept through an earlier wake-up before the commit, and delivers the callbacks of a caller that commits and goes away, once", async () => {
    const id = await subscribedLead();
    const decision = await decided(id, "Test");
    expect(decision.result).toMatchObject({ ok: true, changed: true });
    expect(await alarmOf(id)).not.toBeNull();

    // The object wakes before the caller has committed: nothing is pending in D1 yet.
    expect(await runDurableObjectAlarm(leadObject(env, id))).toBe(true);
    expect(received).toHaveLength(0);
    expect(await alarmOf(id)).not.toBeNull();

    // The caller commits, then goes away without delivering or telling the object.
    await env.DB.batch(leadWriteStatements(env.DB, [decision.write!]));
    expect(await runDurableObjectAlarm(leadObject(env, id))).toBe(true);
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1 });
    expect(received.map((r) => r.webhookId)).toEqual([delivery!.id]);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: "lead.status_changed", flag: "Test" });
    // Nothing is left to wake up for: the decision is committed and its callback delivered.
    expect(await alarmOf(id)).toBeNull();
  });

  it("is let go once the decision can no longer commit (its lead changed meanwhile)", async () => {
    const id = await subscribedLead();
    const first = await decided(id, "Test");
    // Another decision from the same snapshot commits first; the first one's write would apply nothing.
    const second = await decided(id, "Test");
    await env.DB.batch(leadWriteStatements(env.DB, [second.write!]));
    expect(appliedLeadIds(await env.DB.batch(leadWriteStatements(env.DB, [first.write!]))).has(id)).toBe(false);
    expect(await runDurableObjectAlarm(leadObject(env, id))).toBe(true);
    expect(received).toHaveLength(1);
    expect(await deliveries(id)).toMatchObject([{ status: "delivered", attempts: 1 }]);
    expect(await alarmOf(id)).toBeNull();
  });
  it("is kept through an earlier wake-up of a restarted object", async () => {
    const id = await subscribedLead();
    const decision = await decided(id, "Test");
    // The object restarts (a deploy, an eviction) before the caller commits; then it wakes.
    await evictDurableObject(leadObject(env, id));
    expect(await runDurableObjectAlarm(leadObject(env, id))).toBe(true);
    expect(await alarmOf(id)).not.toBeNull();
    await env.DB.batch(leadWriteStatements(env.DB, [decision.write!]));
    expect(await runDurableObjectAlarm(leadObject(env, id))).toBe(true);
    expect(await deliveries(id)).toMatchObject([{ status: "delivered", attempts: 1 }]);
    expect(received).toHaveLength(1);
    expect(await alarmOf(id)).toBeNull();
  });
});
