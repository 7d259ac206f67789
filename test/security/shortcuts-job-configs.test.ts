import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { integrationJobs } from "../../src/integrations";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { insertLead as insertValidLead } from "../integrations/helpers";
import { deliver, insertLead, insertTestCampaign, PROCESSR_QUEUE, processLeads, rows } from "../leads/fixtures";

// Job configurations are parsed once per isolate and kept by their stored text
// (src/lib/memo-by-text.ts, issue 17): the Processr's QA jobs and the integration dispatcher.
// Whatever an isolate kept, a configuration saved through v4 is the one the next lead runs with,
// an invalid one is refused and changes nothing, and no job can change what the next lead is given.

const CAMPAIGN = 6971;
const JOB = 69710;

let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
  await insertTestCampaign(CAMPAIGN, [{ id: JOB, type: "required_value_check", label: "Required values", score: 10 }]);
});

const save = (config: unknown) =>
  call(`/api/v4/campaign-processr-jobs/${JOB}`, json({ config }, "PUT", { ...admin, "Content-Type": "application/ld+json" }));
/** A lead with a first name and no telephone, processed; its job's result. */
async function runLead() {
  const id = await insertLead({ campaignId: CAMPAIGN, data: { firstName: "Ada", lastName: "Lovelace", email: `ada.${crypto.randomUUID()}@example.org` } });
  await processLeads(id);
  const [r] = await rows<{ status: string; message: string }>("SELECT status, message FROM processr_job_leads WHERE lead_id = ?1", id);
  return r;
}

describe("a QA job's configuration saved through v4", () => {
  it("is the one the next lead runs with; an invalid one is refused and the saved one keeps running", async () => {
    expect((await save({ fields: ["firstName"] })).status).toBe(200);
    expect(await runLead()).toEqual({ status: "passed", message: "\"firstName\" has a value" });
    expect((await save({ fields: ["telephone"] })).status).toBe(200);
    expect(await runLead()).toMatchObject({ status: "failed", message: expect.stringContaining("telephone") });
    for (const invalid of [{ fields: [] }, { fields: [7] }, { fields: ["firstName"], extra: 1 }]) {
      const res = await save(invalid);
      expect(res.status, JSON.stringify(invalid)).toBe(422);
      const [job] = await rows<{ config: string }>("SELECT config FROM campaign_processr_jobs WHERE id = ?1", JOB);
      expect(JSON.parse(job!.config)).toEqual({ fields: ["telephone"] });
      expect(await runLead()).toMatchObject({ status: "failed", message: expect.stringContaining("telephone") });
    }
    // Back to an earlier text: that configuration again.
    expect((await save({ fields: ["firstName"] })).status).toBe(200);
    expect(await runLead()).toEqual({ status: "passed", message: "\"firstName\" has a value" });
  });
});

describe("an integration job's configuration", () => {
  const TYPE = "config_mutating_for_test";
  const INTEGRATION_CAMPAIGN = 6972;
  const INTEGRATION_JOB = 69720;
  beforeAll(async () => {
    integrationJobs[TYPE] = {
      kind: "integration", type: TYPE, catalogueId: null, name: TYPE,
      configSchema: z.object({ names: z.array(z.string()) }),
      destination: () => "https://config-mutating.example.test/leads",
      isActive: () => true,
      async deliver(_lead, config: { names: string[] }) {
        try {
          config.names.push("Grace");
        } catch {
          // frozen: the next delivery is given the configuration as parsed
        }
        return { status: "delivered", message: "ok", remoteLeadId: String(config.names.length) };
      },
    };
    await insertTestCampaign(INTEGRATION_CAMPAIGN, [{ id: INTEGRATION_JOB, type: TYPE, label: "Mutating", score: 0 }]);
    await env.DB.prepare(`UPDATE campaign_processr_jobs SET config = '{"names":["Ada"]}' WHERE id = ?1`).bind(INTEGRATION_JOB).run();
  });
  afterAll(() => {
    delete integrationJobs[TYPE];
  });

  it("cannot be changed by a delivery for the next one", async () => {
    const delivered: string[] = [];
    for (let i = 0; i < 3; i++) {
      const lead = await insertValidLead(INTEGRATION_CAMPAIGN, 12, 35, { email: `mutating${i}@example.org` });
      const result = await deliver(PROCESSR_QUEUE, [{ type: "integrate", leadId: lead.id, jobId: INTEGRATION_JOB }]);
      expect(result.explicitAcks).toHaveLength(1);
      const [row] = await rows<{ remote_lead_id: string }>("SELECT remote_lead_id FROM integration_deliveries WHERE lead_id = ?1", lead.id);
      delivered.push(row!.remote_lead_id);
    }
    expect(delivered).toEqual(["1", "1", "1"]);
  });
});
