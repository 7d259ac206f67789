import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostConcurrency } from "../../src/integrations/host-limiter";
import { recountCampaign } from "../../src/leads/statistics";
import { retryDelaySeconds } from "../../src/processr/consumer";
import {
  campaignStats, deliver, insertLead, insertTestCampaign, leadRow, PROCESSR_DLQ, PROCESSR_QUEUE, processLeads, registerIntegrationJob,
  registerQaJob, rows,
} from "../leads/fixtures";

// The queue handler: at-least-once delivery, transient failures, dead letters, malformed bodies.

const FLAKY = 690;
let failuresLeft = 0;
let removeFlaky: () => void;

beforeAll(async () => {
  // A job type that fails transiently (as a D1 or lookup error would) while failuresLeft > 0.
  removeFlaky = registerQaJob("flaky_for_test", () => {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error("lookup unavailable");
    }
    return { passed: true, message: "ok" };
  });
  await insertTestCampaign(FLAKY, [{ id: 6901, type: "flaky_for_test", label: "Flaky", score: 10 }]);
});
afterAll(() => removeFlaky());

const counts = async (leadId: number) => ({
  notes: (await rows(`SELECT id FROM lead_notes WHERE lead_id = ?1`, leadId)).length,
  events: (await rows(`SELECT id FROM lead_events WHERE lead_id = ?1`, leadId)).length,
  results: (await rows(`SELECT id FROM processr_job_leads WHERE lead_id = ?1`, leadId)).length,
});

describe("Processr queue consumer", () => {
  it("acks a processed message, and a redelivery of it changes nothing", async () => {
    const id = await insertLead();
    const first = await processLeads(id);
    expect(first.explicitAcks).toHaveLength(1);
    const lead = await leadRow(id);
    const stats = await campaignStats();
    const before = await counts(id);
    expect(before).toEqual({ notes: 1, events: 1, results: 5 });

    const again = await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }, { type: "process", leadId: id }], 2);
    expect(again.explicitAcks).toHaveLength(2);
    expect(await counts(id)).toEqual(before);
    expect(await leadRow(id)).toEqual(lead);
    expect(await campaignStats()).toEqual(stats);
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("runs the same message delivered twice at once only once", async () => {
    const id = await insertLead();
    const result = await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }, { type: "process", leadId: id }]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await counts(id)).toEqual({ notes: 1, events: 1, results: 5 });
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("retries a transient failure with growing backoff, then succeeds", async () => {
    const id = await insertLead({ campaignId: FLAKY });
    failuresLeft = 1;
    const failed = await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }], 3);
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages).toHaveLength(1);
    expect(Object.values(failed.retryDelays)).toEqual([retryDelaySeconds(3)]);
    expect(retryDelaySeconds(1)).toBe(10);
    expect(retryDelaySeconds(3)).toBe(40);
    expect(retryDelaySeconds(20)).toBe(600);
    expect((await leadRow(id))!.processr_status).toBe(100);

    const ok = await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }], 4);
    expect(ok.explicitAcks).toHaveLength(1);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, score: 10, max_score: 10 });
  });

  it("records a dead letter as Processing Failed (900) with an error log, once", async () => {
    const id = await insertLead({ campaignId: FLAKY });
    failuresLeft = 100;
    const failed = await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }], 6);
    expect(failed.retryMessages).toHaveLength(1);
    expect(await campaignStats(FLAKY)).toMatchObject({ processing: 1 });

    for (let i = 0; i < 2; i++) {
      const dead = await deliver(PROCESSR_DLQ, [{ type: "process", leadId: id }], 6);
      expect(dead.explicitAcks).toHaveLength(1);
    }
    failuresLeft = 0;
    expect(await leadRow(id)).toMatchObject({ flag: null, processr_status: 900 });
    const logs = await rows<{ level: string; message: string }>(
      `SELECT level, message FROM logs WHERE lead_id = ?1 AND level = 'error'`,
      id,
    );
    expect(logs).toEqual([
      { level: "error", message: "Processing Failed: Processing failed after 6 attempt(s); the message went to the dead-letter queue." },
    ]);
    // A failed lead is no longer counted as processing.
    expect(await campaignStats(FLAKY)).toEqual(await recountCampaign(env.DB, FLAKY));
    expect(await campaignStats(FLAKY)).toMatchObject({ processing: 0, total: 2 });

    // A later stale message for it is a no-op: only a reprocess runs it again.
    await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }]);
    expect((await leadRow(id))!.processr_status).toBe(900);
  });

  it("does not downgrade a complete lead when a dead letter arrives for it", async () => {
    const id = await insertLead();
    await processLeads(id);
    await deliver(PROCESSR_DLQ, [{ type: "process", leadId: id }], 6);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000 });
  });

  it("puts a lead on hold when its campaign has no QA job", async () => {
    const id = await insertLead({ campaignId: 602, formId: 36 });
    const result = await processLeads(id);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await leadRow(id)).toMatchObject({ flag: null, processr_status: 500 });
    expect(await campaignStats(602)).toMatchObject({ total: 1, processing: 0, held: 1 });
    expect(await campaignStats(602)).toEqual(await recountCampaign(env.DB, 602));
    const logs = await rows<{ message: string }>(`SELECT message FROM logs WHERE lead_id = ?1 AND type = 'processr'`, id);
    expect(logs.map((l) => l.message)).toEqual(["On Hold - No Job Assigned: The campaign has no enabled QA job."]);
  });

  it("acks malformed messages and messages for unknown leads without side effects", async () => {
    const result = await deliver(PROCESSR_QUEUE, [
      { type: "process", leadId: -1 },
      { type: "nonsense" } as never,
      { type: "process", leadId: 99_999_999 },
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toEqual([]);
    const dead = await deliver(PROCESSR_DLQ, [{ type: "process", leadId: 99_999_999 }, { nonsense: true } as never]);
    expect(dead.explicitAcks).toHaveLength(2);
  });

  it("fails a job closed when its type is unknown or its configuration is invalid", async () => {
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, api_key)
         VALUES (691, 'Broken set-up', 319, 1, 0, 4102444800000, 'broken-campaign-key')`,
      ),
      env.DB.prepare(
        `INSERT INTO campaign_processr_jobs (id, campaign_id, type, label, score, position, config) VALUES
           (6911, 691, 'no_such_job', 'Ghost', 10, 0, '{}'),
           (6912, 691, 'test_data_check', 'Test data', 10, 1, '{"fields": 42}'),
           (6913, 691, 'first_last_name_check', 'Names', 10, 2, '{}'),
           (6914, 691, 'test_data_check', 'Disabled', 10, 3, '{}')`,
      ),
      env.DB.prepare(`UPDATE campaign_processr_jobs SET enabled = 0 WHERE id = 6914`),
    ]);
    const id = await insertLead({ campaignId: 691 });
    await processLeads(id);
    const results = await rows<{ campaign_processr_job_id: number; status: string; message: string }>(
      `SELECT campaign_processr_job_id, status, message FROM processr_job_leads WHERE lead_id = ?1 ORDER BY 1`,
      id,
    );
    // The disabled job is recorded as not run, and left out of maxScore.
    expect(results.map((r) => [r.campaign_processr_job_id, r.status])).toEqual([
      [6911, "failed"], [6912, "failed"], [6913, "passed"], [6914, "not_run"],
    ]);
    expect(results[0]!.message).toBe('Unknown job type "no_such_job".');
    expect(results[1]!.message).toMatch(/^Invalid job configuration: fields/);
    expect(results[3]!.message).toBe("The job is disabled.");
    expect(await leadRow(id)).toMatchObject({ flag: "Invalid", score: 10, max_score: 30 });
  });

  it("delivers a batch's integrations at most the host's concurrency at a time, none sent back for want of a slot", async () => {
    const POOL = 697;
    let inFlight = 0;
    let most = 0;
    const removePool = registerIntegrationJob("pool_for_test", "https://pool.example/leads", async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 30)));
      inFlight -= 1;
      return { status: "delivered", message: "ok" };
    });
    try {
      await insertTestCampaign(POOL, [{ id: 6971, type: "pool_for_test", label: "Pool", score: 0 }]);
      const ids = await Promise.all(Array.from({ length: 25 }, () => insertLead({ campaignId: POOL })));
      await env.DB.prepare(`UPDATE leads SET flag = 'Valid', processr_status = 1000 WHERE id IN (${ids.join(",")})`).run();
      const result = await deliver(PROCESSR_QUEUE, ids.map((leadId) => ({ type: "integrate", leadId, jobId: 6971 })));
      expect(result.retryMessages).toEqual([]);
      expect(result.explicitAcks).toHaveLength(25);
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(hostConcurrency(env));
      expect(await rows(`SELECT 1 FROM integration_deliveries WHERE campaign_processr_job_id = 6971 AND status = 'delivered'`)).toHaveLength(25);
    } finally {
      removePool();
    }
  });

  it("runs a batch of leads together, each with its own outcome, ack or retry", async () => {
    const email = `batch.${crypto.randomUUID()}@example.org`;
    const first = await insertLead({ data: { firstName: "Ada", lastName: "Lovelace", email } });
    await processLeads(first);
    const dup = await insertLead({ data: { firstName: "Grace", lastName: "Hopper", email: email.toUpperCase() } });
    const other = await insertLead();
    const flaky = await insertLead({ campaignId: FLAKY });
    const held = await insertLead({ campaignId: 602, formId: 36 });
    failuresLeft = 1;
    const result = await deliver(PROCESSR_QUEUE, [dup, other, flaky, held, 99_999_998, dup].map((leadId) => ({ type: "process", leadId })));
    failuresLeft = 0;
    expect(result.explicitAcks).toHaveLength(5);
    expect(result.retryMessages).toHaveLength(1);
    // The duplicate counts went to D1 together (default: earlier Valid leads), and each lead got its own.
    const dupJob = async (leadId: number) =>
      (await rows<{ status: string }>(`SELECT status FROM processr_job_leads WHERE lead_id = ?1 AND campaign_processr_job_id = 9002`, leadId))[0]!.status;
    expect([await dupJob(first), await dupJob(dup), await dupJob(other)]).toEqual(["passed", "failed", "passed"]);
    expect(await leadRow(first)).toMatchObject({ flag: "Valid", processr_status: 1000, processing_counter: 1 });
    expect(await leadRow(dup)).toMatchObject({ processr_status: 1000, score: 70, max_score: 100, processing_counter: 1 });
    for (const id of [first, dup, other]) expect(await counts(id)).toEqual({ notes: 1, events: 1, results: 5 });
    expect(await leadRow(flaky)).toMatchObject({ flag: null, processr_status: 100 });
    expect(await counts(flaky)).toEqual({ notes: 0, events: 0, results: 0 });
    expect(await leadRow(held)).toMatchObject({ flag: null, processr_status: 500 });
    for (const c of [601, FLAKY, 602]) expect(await campaignStats(c)).toEqual(await recountCampaign(env.DB, c));
  });
});
