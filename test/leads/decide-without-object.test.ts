import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decideLead, leadObject, subscribeToLead } from "../../src/leads/client";
import { readLeadStates } from "../../src/leads/lead-object";
import { appliedLeadIds, leadWriteStatements } from "../../src/leads/lead-writes";
import { recountCampaign } from "../../src/leads/statistics";
import type { TransitionRequest } from "../../src/leads/types";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { CAMPAIGN, campaignStats, insertLead, leadRow, processLeads } from "./fixtures";

// decideLead makes a decision itself when the lead object would store nothing for it (no
// hand-off intent, no safety alarm for callbacks): the object is then neither called nor created.
// A decision that needs the object still goes to it.

const processr = (leadId: number): TransitionRequest => ({
  leadId, to: "Valid", source: "processr", author: "processr", reason: "Score 100/100; all jobs passed.",
  processr: { score: 100, maxScore: 100, hardfail: false, qaResult: "Valid" },
});

const snapshotOf = async (leadId: number) => (await readLeadStates(env.DB, [leadId])).get(leadId)!;

/**
 * What the lead's object holds: the lead it has taken from its name (in memory, only once called since it
 * started; nothing here restarts it), its alarm, a hand-off intent.
 */
const objectState = (leadId: number) =>
  runInDurableObject(leadObject(env, leadId), async (object, state) => ({
    leadId: (object as unknown as { leadId?: number }).leadId,
    alarm: await state.storage.getAlarm(),
    intent: await state.storage.get<number>("integrationsDueTs"),
  }));

describe("decisions made without the lead object", () => {
  it("a Processr run on a lead without subscriptions or integrations commits its outcome without calling the object", async () => {
    const id = await insertLead();
    const result = await processLeads(id);
    expect(result.retryMessages).toEqual([]);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, processing_counter: 1, advertiser_billable: 1 });
    expect(await objectState(id)).toEqual({ leadId: undefined, alarm: null, intent: undefined });
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, CAMPAIGN));
  });

  it("a decision with callbacks goes to the object, which arms its safety alarm before the caller commits", async () => {
    const id = await insertLead();
    const cp = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = ?1 AND publisher_id = 12`).bind(CAMPAIGN).first<{ id: number }>();
    const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cp!.id, callbackUrl: "https://receiver.example/api/webhook/sync", secret: newWebhookSecret() });
    expect(sub.ok).toBe(true);
    expect((await objectState(id)).alarm).toBeNull();
    const decision = await decideLead(env, { ...processr(id), snapshot: await snapshotOf(id), callbacksByCaller: true });
    expect(decision.write?.guard.maxSubscriptionId).toBe(sub.ok ? sub.subscriptionId : -1);
    expect(await objectState(id)).toMatchObject({ leadId: id, alarm: expect.any(Number) });
    expect(appliedLeadIds(await env.DB.batch(leadWriteStatements(env.DB, [decision.write!])))).toEqual(new Set([id]));
  });

  it("a decision with a hand-off goes to the object, which stores the intent before the caller commits", async () => {
    const id = await insertLead();
    const snapshot = { ...(await snapshotOf(id)), jobTypes: ["http_integration"] };
    const decision = await decideLead(env, { ...processr(id), snapshot, callbacksByCaller: true });
    expect(decision).toMatchObject({ handOff: true, result: { ok: true, changed: true } });
    expect(await objectState(id)).toMatchObject({ leadId: id, intent: expect.any(Number), alarm: expect.any(Number) });
  });

  it("an invalid request decided without the object is refused as the object refuses it, and writes nothing", async () => {
    const id = await insertLead();
    const decision = await decideLead(env, { ...processr(id), reason: "x".repeat(2001), snapshot: await snapshotOf(id) });
    expect(decision).toMatchObject({
      write: null, handOff: false, result: { ok: false, code: "INVALID_TRANSITION", message: expect.stringMatching(/^Invalid transition request: reason: /) },
    });
    expect(await objectState(id)).toEqual({ leadId: undefined, alarm: null, intent: undefined });
  });
});
