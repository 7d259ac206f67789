import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { integrationJobs } from "../../src/integrations";
import { integrationBatch } from "../../src/integrations/dispatch";
import type { JobLead } from "../../src/processr/types";
import { deliver, insertTestCampaign, PROCESSR_QUEUE } from "../leads/fixtures";
import { roundTripCounter } from "../publisher/support";
import { delivery, insertJob, insertLead } from "./helpers";

// A queue batch's "integrate" messages read what their deliveries need in one round trip
// (integrationBatch); each claim applies only if the lead and the job are still as that read saw
// them, and a message whose lead or job changed since is handled from a fresh read of its own.

const TYPE = "batch_read_for_test";
const sent: { leadId: number; values: Record<string, string>; field: string | undefined }[] = [];
integrationJobs[TYPE] = {
  kind: "integration", type: TYPE, catalogueId: null, name: TYPE,
  configSchema: z.object({ field: z.string().optional() }),
  destination: () => "https://batch-read.example.test/leads",
  isActive: () => true,
  async deliver(lead: JobLead, config: { field?: string }) {
    sent.push({ leadId: lead.id, values: { ...lead.values }, field: config.field });
    return { status: "delivered", message: "ok" };
  },
};
afterAll(() => delete integrationJobs[TYPE]);

const CAMPAIGN = 697;
await insertTestCampaign(CAMPAIGN, []);
let seq = 0;
async function leads(n: number, jobConfig: unknown = {}) {
  const jobId = await insertJob(CAMPAIGN, TYPE, jobConfig);
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await insertLead(CAMPAIGN, 12, 35, { email: `batch${++seq}@example.org` })).id);
  return { jobId, msgs: ids.map((leadId) => ({ type: "integrate" as const, leadId, jobId })) };
}
const sentTo = (leadId: number) => sent.filter((s) => s.leadId === leadId);

describe("a queue batch's integrate messages", () => {
  it("read in one round trip for the whole batch, then a claim and an outcome per delivery", async () => {
    const { jobId, msgs } = await leads(5);
    const d1 = roundTripCounter();
    const handle = await integrationBatch({ ...env, DB: d1.db }, msgs);
    expect(d1.trips).toBe(1);
    for (const msg of msgs) expect(await handle(msg)).toBe("ack");
    // Per delivery: the claim, the outcome (this job stores nothing with its claim and hands nothing off).
    expect(d1.trips).toBe(1 + 2 * msgs.length);
    for (const { leadId } of msgs) {
      expect((await delivery(leadId, jobId))!.status).toBe("delivered");
      expect(sentTo(leadId)).toHaveLength(1);
    }
  });

  it("through the queue: every message delivered once, a repeated message in the same batch too", async () => {
    const { jobId, msgs } = await leads(4);
    const result = await deliver(PROCESSR_QUEUE, [...msgs, msgs[0]!]);
    expect([result.explicitAcks.length, result.retryMessages.length]).toEqual([5, 0]);
    for (const { leadId } of msgs) {
      expect((await delivery(leadId, jobId))!).toMatchObject({ status: "delivered", attempts: 1 });
      expect(sentTo(leadId)).toHaveLength(1);
    }
  });

  it("a lead that left Valid after the batch's read is not delivered", async () => {
    const { jobId, msgs } = await leads(2);
    const handle = await integrationBatch(env, msgs);
    await env.DB.prepare("UPDATE leads SET flag = 'Invalid' WHERE id = ?").bind(msgs[0]!.leadId).run();
    for (const msg of msgs) expect(await handle(msg)).toBe("ack");
    expect(sentTo(msgs[0]!.leadId)).toEqual([]);
    expect((await delivery(msgs[0]!.leadId, jobId))!).toMatchObject({ status: "pending", attempts: 0, lease_until_ts: null });
    expect(sentTo(msgs[1]!.leadId)).toHaveLength(1);
  });

  it("a lead whose values changed after the read goes out with its values of now, once", async () => {
    const { jobId, msgs } = await leads(1);
    const [msg] = msgs;
    const handle = await integrationBatch(env, msgs);
    await env.DB.prepare("UPDATE lead_datas SET value = 'changed@example.org' WHERE lead_id = ? AND name = 'email'").bind(msg!.leadId).run();
    expect(await handle(msg!)).toBe("ack");
    expect(sentTo(msg!.leadId)).toEqual([expect.objectContaining({ values: { email: "changed@example.org" } })]);
    expect((await delivery(msg!.leadId, jobId))!).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("a job changed or disabled after the read: its configuration of now, or no delivery", async () => {
    const changed = await leads(1, { field: "before" });
    const disabled = await leads(1, { field: "kept" });
    const handle = await integrationBatch(env, [...changed.msgs, ...disabled.msgs]);
    await env.DB.batch([
      env.DB.prepare("UPDATE campaign_processr_jobs SET config = ? WHERE id = ?").bind(JSON.stringify({ field: "after" }), changed.jobId),
      env.DB.prepare("UPDATE campaign_processr_jobs SET enabled = 0 WHERE id = ?").bind(disabled.jobId),
    ]);
    expect(await handle(changed.msgs[0]!)).toBe("ack");
    expect(await handle(disabled.msgs[0]!)).toBe("ack");
    expect(sentTo(changed.msgs[0]!.leadId)).toEqual([expect.objectContaining({ field: "after" })]);
    expect(sentTo(disabled.msgs[0]!.leadId)).toEqual([]);
    expect((await delivery(disabled.msgs[0]!.leadId, disabled.jobId))!).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("a message the read finds nothing for (a deleted lead, another campaign's job) changes nothing", async () => {
    const { jobId, msgs } = await leads(1);
    const other = await insertJob(602, TYPE, {});
    const handle = await integrationBatch(env, [...msgs, { type: "integrate", leadId: msgs[0]!.leadId, jobId: other }, { type: "integrate", leadId: 999_999_999, jobId }]);
    expect(await handle({ type: "integrate", leadId: msgs[0]!.leadId, jobId: other })).toBe("ack");
    expect(await handle({ type: "integrate", leadId: 999_999_999, jobId })).toBe("ack");
    expect(await delivery(msgs[0]!.leadId, other)).toBeNull();
    expect(sentTo(msgs[0]!.leadId)).toEqual([]);
  });
});
