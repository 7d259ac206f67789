import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { integrationJobs } from "../../src/integrations";
import { transitionLead } from "../../src/leads/client";
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

describe("integration hand-off", () => {
  it("skips integration jobs in the QA run and hands a Valid lead to them", async () => {
    const id = await insertLead({ campaignId: CAMPAIGN });
    await processLeads(id);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", score: 10, max_score: 10 });
    const results = await rows<{ campaign_processr_job_id: number }>(`SELECT campaign_processr_job_id FROM processr_job_leads WHERE lead_id = ?1`, id);
    expect(results.map((r) => r.campaign_processr_job_id)).toEqual([6921]);
    expect(await handedOff(id)).toEqual([6922]);
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
