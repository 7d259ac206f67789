import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { integrationJobs } from "../../src/integrations";
import { leadObject, transitionLead } from "../../src/leads/client";
import { insertLead, leadRow, processLeads, rows } from "../leads/fixtures";

// Integration jobs are not QA: the Processr skips and does not score them, and a lead is handed to
// them (enqueueIntegrations) whenever it becomes Valid, whatever the source of the change.

const CAMPAIGN = 692;

beforeAll(async () => {
  integrationJobs.handoff_for_test = {
    kind: "integration",
    type: "handoff_for_test",
    catalogueId: null,
    name: "Hand-off probe",
    configSchema: z.object({}),
    destination: () => "https://crm.example/leads",
    isActive: () => true,
    deliver: async () => ({ status: "delivered", message: "ok" }),
  };
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, api_key)
       VALUES (?1, 'Hand-off campaign', 319, 1, 0, 4102444800000, 'handoff-campaign-key')`,
    ).bind(CAMPAIGN),
    env.DB.prepare(
      `INSERT INTO campaign_processr_jobs (id, campaign_id, type, label, score, position) VALUES
         (6921, ?1, 'first_last_name_check', 'Names', 10, 0),
         (6922, ?1, 'handoff_for_test', 'CRM', 50, 1)`,
    ).bind(CAMPAIGN),
  ]);
});
afterAll(() => {
  delete integrationJobs.handoff_for_test;
});

const handedOff = async (leadId: number) =>
  (await rows<{ campaign_processr_job_id: number }>(`SELECT campaign_processr_job_id FROM integration_deliveries WHERE lead_id = ?1`, leadId))
    .map((r) => r.campaign_processr_job_id);

/** What the lead's object still holds for a hand-off: its stored intent and its alarm. */
const intentOf = (leadId: number) =>
  runInDurableObject(leadObject(env, leadId), async (_object, state) => ({
    intent: await state.storage.get<number>("integrationsDueTs"),
    alarm: await state.storage.getAlarm(),
  }));

describe("integration hand-off", () => {
  it("skips integration jobs in the QA run and hands a Valid lead to them", async () => {
    const id = await insertLead({ campaignId: CAMPAIGN });
    await processLeads(id);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", score: 10, max_score: 10 });
    const results = await rows<{ campaign_processr_job_id: number }>(`SELECT campaign_processr_job_id FROM processr_job_leads WHERE lead_id = ?1`, id);
    expect(results.map((r) => r.campaign_processr_job_id)).toEqual([6921]);
    expect(await handedOff(id)).toEqual([6922]);
  });

  it("hands a queue batch's Valid leads off together, and each lead object lets go of its intent", async () => {
    const ids = [await insertLead({ campaignId: CAMPAIGN }), await insertLead({ campaignId: CAMPAIGN }), await insertLead({ campaignId: CAMPAIGN })];
    const send = vi.spyOn(env.PROCESSR_QUEUE, "sendBatch");
    try {
      await processLeads(...ids);
      // One send for the batch: each lead's one delivery.
      const sent = send.mock.calls.map(([messages]) => [...messages].map((m) => m.body));
      expect(sent).toEqual([ids.map((leadId) => ({ type: "integrate", leadId, jobId: 6922 }))]);
    } finally {
      send.mockRestore();
    }
    for (const id of ids) {
      expect(await handedOff(id)).toEqual([6922]);
      expect(await intentOf(id)).toEqual({ intent: undefined, alarm: null });
    }
  });

  it("a batch hand-off that fails is left to each lead object's alarm, which hands the lead off", async () => {
    const ids = [await insertLead({ campaignId: CAMPAIGN }), await insertLead({ campaignId: CAMPAIGN })];
    const send = vi.spyOn(env.PROCESSR_QUEUE, "sendBatch").mockRejectedValueOnce(new Error("queue unavailable"));
    try {
      const result = await processLeads(...ids);
      // The outcomes are committed: the messages are done, the hand-off is the objects' now.
      expect(result.explicitAcks.length).toBe(2);
      for (const id of ids) {
        expect((await leadRow(id))!.flag).toBe("Valid");
        const { intent, alarm } = await intentOf(id);
        expect(typeof intent).toBe("number");
        expect(alarm).not.toBeNull();
      }
      // The alarm once the intent is due (it waits INTEGRATIONS_RETRY_MS after the write).
      for (const id of ids) {
        await runInDurableObject(leadObject(env, id), (_object, state) => state.storage.put("integrationsDueTs", Date.now() - 1));
        await runDurableObjectAlarm(leadObject(env, id));
      }
      expect(send.mock.calls.slice(1).map(([messages]) => [...messages].map((m) => m.body))).toEqual(
        ids.map((leadId) => [{ type: "integrate", leadId, jobId: 6922 }]),
      );
    } finally {
      send.mockRestore();
    }
    for (const id of ids) expect(await intentOf(id)).toEqual({ intent: undefined, alarm: null });
  });

  it("hands over a lead that becomes Valid later, by hand", async () => {
    const id = await insertLead({ campaignId: CAMPAIGN, data: { firstName: "Same", lastName: "Same", email: "same@example.org" } });
    await processLeads(id);
    expect((await leadRow(id))!.flag).toBe("Invalid");
    expect(await handedOff(id)).toEqual([]);
    await transitionLead(env, { leadId: id, to: "Valid", source: "manual", userId: 167, author: "admin@acme.test", reason: "checked" });
    expect(await handedOff(id)).toEqual([6922]);
  });
});
