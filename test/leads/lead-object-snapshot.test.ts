import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { transitionLead } from "../../src/leads/client";
import { readLeadStates } from "../../src/leads/lead-object";
import { recountCampaign } from "../../src/leads/statistics";
import type { TransitionRequest } from "../../src/leads/types";
import { CAMPAIGN, campaignStats, insertLead, leadRow, processLeads, rows } from "./fixtures";

// The Processr consumer reads its queue batch's lead states in one D1 batch and hands each lead
// object its snapshot; the object decides from it, and its write applies only while the lead is
// still as the snapshot says: otherwise the object reads D1 and decides again.

const processr = (leadId: number, snapshot: TransitionRequest["snapshot"]): TransitionRequest => ({
  leadId, to: "Valid", source: "processr", author: "processr", reason: "Score 100/100; all jobs passed.",
  processr: { score: 100, maxScore: 100, hardfail: false, qaResult: "Valid" }, snapshot,
});

async function expectStatsEqualRecount() {
  const { total, valid, caution, invalid, test, billable, delivered, held, processing } = await campaignStats();
  expect({ total, valid, caution, invalid, test, billable, delivered, held, processing }).toEqual(await recountCampaign(env.DB, CAMPAIGN));
}

describe("lead state snapshots", () => {
  it("reads several leads' states in one batch: the lead, its active subscriptions, its campaign's enabled job types", async () => {
    const [a, b] = [await insertLead(), await insertLead()];
    const states = await readLeadStates(env.DB, [a, b, a, 999_999_999]);
    expect([...states.keys()].sort()).toEqual([a, b].sort());
    expect(states.get(a)).toMatchObject({ lead: { id: a, campaign_id: CAMPAIGN, flag: null, processr_status: 0 }, subscriptions: [] });
    expect(states.get(a)!.jobTypes.sort()).toEqual(
      (await rows<{ type: string }>(`SELECT DISTINCT type FROM campaign_processr_jobs WHERE campaign_id = ?1 AND enabled = 1`, CAMPAIGN))
        .map((r) => r.type)
        .sort(),
    );
  });

  it("an object called for the first time applies the transition from the snapshot, once", async () => {
    const id = await insertLead();
    const snapshot = (await readLeadStates(env.DB, [id])).get(id);
    expect(await transitionLead(env, processr(id, snapshot))).toEqual({ ok: true, leadId: id, from: null, to: "Valid", changed: true });
    // The same outcome again (a redelivered message, same snapshot): the object reads D1, sees it complete.
    expect(await transitionLead(env, processr(id, snapshot))).toEqual({ ok: true, leadId: id, from: "Valid", to: "Valid", changed: false });
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, advertiser_billable: 1, advertiser_payout: "10.00" });
    expect(await rows(`SELECT 1 FROM lead_notes WHERE lead_id = ?1`, id)).toHaveLength(1);
    await expectStatsEqualRecount();
  });

  it("a snapshot taken before a change that went through the object is not used: the object reads the lead", async () => {
    const id = await insertLead();
    const stale = (await readLeadStates(env.DB, [id])).get(id);
    expect(await transitionLead(env, { leadId: id, to: "Test", source: "manual", userId: 167, author: "admin@acme.test" })).toMatchObject({ ok: true, changed: true });
    // Had the stale snapshot (unprocessed) been used, the note would say "from Unprocessed" and the
    // statistics would move the lead out of "processing" a second time instead of out of "test".
    expect(await transitionLead(env, processr(id, stale))).toEqual({ ok: true, leadId: id, from: "Test", to: "Valid", changed: true });
    const notes = await rows<{ from_flag: string | null; to_flag: string }>(`SELECT from_flag, to_flag FROM lead_notes WHERE lead_id = ?1 ORDER BY id`, id);
    expect(notes).toEqual([{ from_flag: null, to_flag: "Test" }, { from_flag: "Test", to_flag: "Valid" }]);
    await expectStatsEqualRecount();
  });

  it("a snapshot of another lead is ignored", async () => {
    const [id, other] = [await insertLead(), await insertLead()];
    await transitionLead(env, { leadId: other, to: "Test", source: "manual", userId: 167, author: "admin@acme.test" });
    const wrong = (await readLeadStates(env.DB, [other])).get(other);
    expect(await transitionLead(env, processr(id, wrong))).toEqual({ ok: true, leadId: id, from: null, to: "Valid", changed: true });
    await expectStatsEqualRecount();
  });

  it("the consumer's batch leaves statistics equal to a recount, with a lead changed by hand while queued", async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => insertLead()));
    // Marked Test before its run: the run still completes it, from Test (the object reads it fresh).
    await transitionLead(env, { leadId: ids[2]!, to: "Test", source: "manual", userId: 167, author: "admin@acme.test" });
    const result = await processLeads(...ids, ids[0]!);
    expect(result.retryMessages).toEqual([]);
    for (const id of ids) expect((await leadRow(id))!.processr_status).toBe(1000);
    expect(await rows(`SELECT 1 FROM lead_notes WHERE lead_id IN (${ids.join(",")}) AND to_flag = 'Valid'`)).toHaveLength(5);
    await expectStatsEqualRecount();
  });
});
