import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { qaJobs } from "../../src/processr/jobs";
import { insertLead, insertTestCampaign, leadRow, processLeads, rows } from "../leads/fixtures";

// A job's configuration is parsed once per isolate and reused by its text (src/processr/run.ts):
// each lead must still run with its own campaign's configuration as it is when the lead runs.

const TYPE = "first_name_is_for_test";
const [X, Y] = [6951, 6952];
const JOB = { [X]: 69510, [Y]: 69520 };

beforeAll(async () => {
  qaJobs[TYPE] = {
    kind: "qa", type: TYPE, catalogueId: null, name: TYPE,
    configSchema: z.strictObject({ name: z.string().min(1) }),
    run: (lead, config: { name: string }) =>
      lead.values.firstName === config.name ? { passed: true, message: `is ${config.name}` } : { passed: false, message: `not ${config.name}` },
  };
  for (const c of [X, Y]) await insertTestCampaign(c, [{ id: JOB[c]!, type: TYPE, label: "First name", score: 10 }]);
});
afterAll(() => delete qaJobs[TYPE]);

const configure = (campaign: number, config: string) =>
  env.DB.prepare(`UPDATE campaign_processr_jobs SET config = ?2 WHERE id = ?1`).bind(JOB[campaign]!, config).run();
const lead = (campaignId: number) => insertLead({ campaignId, data: { firstName: "Ada", lastName: "Lovelace", email: `ada.${crypto.randomUUID()}@example.org` } });
const result = async (leadId: number) => {
  const [r] = await rows<{ status: string; message: string }>(`SELECT status, message FROM processr_job_leads WHERE lead_id = ?1`, leadId);
  return { flag: (await leadRow(leadId))!.flag, ...r };
};

describe("job configurations parsed once", () => {
  it("two campaigns with the same job type in one batch: each lead runs with its campaign's configuration", async () => {
    await configure(X, JSON.stringify({ name: "Ada" }));
    await configure(Y, JSON.stringify({ name: "Grace" }));
    const [a1, b1, a2, b2] = [await lead(X), await lead(Y), await lead(X), await lead(Y)];
    await processLeads(a1, b1, a2, b2);
    for (const id of [a1, a2]) expect(await result(id)).toEqual({ flag: "Valid", status: "passed", message: "is Ada" });
    for (const id of [b1, b2]) expect(await result(id)).toEqual({ flag: "Invalid", status: "failed", message: "not Grace" });
  });

  it("a configuration edited between batches is the one the next batch runs with, including back to an earlier one", async () => {
    await configure(X, JSON.stringify({ name: "Ada" }));
    const first = await lead(X);
    await processLeads(first);
    expect(await result(first)).toMatchObject({ flag: "Valid", message: "is Ada" });

    await configure(X, JSON.stringify({ name: "Grace" }));
    const second = await lead(X);
    await processLeads(second);
    expect(await result(second)).toMatchObject({ flag: "Invalid", message: "not Grace" });

    await configure(X, "{");
    const broken = await lead(X);
    await processLeads(broken);
    expect(await result(broken)).toMatchObject({ flag: "Invalid", status: "failed", message: "The job configuration is not valid JSON." });

    await configure(X, JSON.stringify({ name: "Ada" }));
    const third = await lead(X);
    await processLeads(third);
    expect(await result(third)).toMatchObject({ flag: "Valid", message: "is Ada" });
  });

  it("an invalid configuration fails its job on every lead, and the job runs again once it is fixed", async () => {
    await configure(Y, JSON.stringify({ name: "" }));
    const [a, b] = [await lead(Y), await lead(Y)];
    await processLeads(a);
    await processLeads(b);
    for (const id of [a, b]) expect(await result(id)).toMatchObject({ flag: "Invalid", status: "failed", message: expect.stringMatching(/^Invalid job configuration: name: /) });
    await configure(Y, JSON.stringify({ name: "Ada" }));
    const fixed = await lead(Y);
    await processLeads(fixed);
    expect(await result(fixed)).toMatchObject({ flag: "Valid", message: "is Ada" });
  });

  it("a job cannot change the configuration the next leads run with", async () => {
    const MUTATING = "mutating_for_test";
    qaJobs[MUTATING] = {
      kind: "qa", type: MUTATING, catalogueId: null, name: MUTATING,
      configSchema: z.strictObject({ names: z.array(z.string()) }),
      run: (_lead, config: { names: string[] }) => {
        try {
          config.names.push("Grace");
        } catch {
          // frozen: what the next lead gets stays as parsed
        }
        return { passed: true, message: `${config.names.length} names` };
      },
    };
    try {
      await insertTestCampaign(6953, [{ id: 69530, type: MUTATING, label: "Mutating", score: 10 }]);
      await env.DB.prepare(`UPDATE campaign_processr_jobs SET config = '{"names":["Ada"]}' WHERE id = 69530`).run();
      const [a, b] = [await lead(6953), await lead(6953)];
      await processLeads(a);
      await processLeads(b);
      for (const id of [a, b]) expect(await result(id)).toMatchObject({ message: "1 names" });
    } finally {
      delete qaJobs[MUTATING];
    }
  });
});
