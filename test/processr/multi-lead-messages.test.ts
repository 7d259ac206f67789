import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recountCampaign } from "../../src/leads/statistics";
import { handleQueue, RUN_BATCH_LEADS } from "../../src/processr/consumer";
import { PROCESS_MESSAGE_MAX_LEADS, type ProcessrMessage } from "../../src/processr/messages";
import { campaignStats, deliver, insertLead, insertTestCampaign, leadRow, PROCESSR_DLQ, PROCESSR_QUEUE, registerQaJob, rows } from "../leads/fixtures";

// "process" messages that name several leads (capture's shared send): every lead run once, the
// message acked only when all of its leads are done, retried whole otherwise without writing the
// done ones again, and old single-lead messages still taken.

const FLAKY = 694;
let failing = new Set<number>();
let removeFlaky: () => void;

beforeAll(async () => {
  // Fails transiently (as a D1 or lookup error would) for the leads in `failing`.
  removeFlaky = registerQaJob("flaky_lead_for_test", (lead) => {
    if (failing.has(lead.id)) throw new Error("lookup unavailable");
    return { passed: true, message: "ok" };
  });
  await insertTestCampaign(FLAKY, [{ id: 6941, type: "flaky_lead_for_test", label: "Flaky", score: 10 }]);
});
afterAll(() => removeFlaky());

/** What a run writes for a lead besides its row: its outcome's note and event, its job results. */
const counts = async (leadId: number) =>
  (await rows<{ notes: number; events: number; results: number }>(
    `SELECT (SELECT count(*) FROM lead_notes WHERE lead_id = ?1) AS notes, (SELECT count(*) FROM lead_events WHERE lead_id = ?1) AS events,
            (SELECT count(*) FROM processr_job_leads WHERE lead_id = ?1) AS results`,
    leadId,
  ))[0];

const many = (leadIds: number[]): ProcessrMessage => ({ type: "process", leadIds });
const leads = (n: number, campaignId?: number) => Promise.all(Array.from({ length: n }, () => insertLead(campaignId ? { campaignId } : {})));

describe("process messages of several leads", () => {
  it("runs every lead of the message once and acks it once", async () => {
    const ids = await leads(4);
    const result = await deliver(PROCESSR_QUEUE, [many(ids)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    for (const id of ids) {
      expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, processing_counter: 1 });
      expect(await counts(id)).toEqual({ notes: 1, events: 1, results: 5 });
    }
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("retries a message whose one lead failed, and its retry writes none of the others again", async () => {
    const ids = await leads(3, FLAKY);
    const flaky = ids[1]!;
    failing = new Set([flaky]);
    const failed = await deliver(PROCESSR_QUEUE, [many(ids)]);
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages).toHaveLength(1);
    expect(await leadRow(flaky)).toMatchObject({ flag: null, processr_status: 100 });
    const done = [ids[0]!, ids[2]!];
    for (const id of done) expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, processing_counter: 1 });
    const before = await Promise.all(done.map(async (id) => [await leadRow(id), await counts(id)]));

    failing = new Set();
    const retried = await deliver(PROCESSR_QUEUE, [many(ids)], 2);
    expect(retried.explicitAcks).toHaveLength(1);
    expect(await leadRow(flaky)).toMatchObject({ flag: "Valid", processr_status: 1000 });
    expect(await counts(flaky)).toEqual({ notes: 1, events: 1, results: 1 });
    expect(await Promise.all(done.map(async (id) => [await leadRow(id), await counts(id)]))).toEqual(before);
    expect(await campaignStats(FLAKY)).toEqual(await recountCampaign(env.DB, FLAKY));
  });

  it("takes old single-lead messages beside new ones; a lead named by both runs once and both are acked", async () => {
    const ids = await leads(3);
    const result = await deliver(PROCESSR_QUEUE, [
      { type: "process", leadId: ids[0]! },
      many(ids),
      { type: "process", leadId: ids[2]! },
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    for (const id of ids) expect(await counts(id)).toEqual({ notes: 1, events: 1, results: 5 });
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("retries only the messages naming a failed lead", async () => {
    const [ok1, ok2, bad] = await leads(3, FLAKY);
    failing = new Set([bad!]);
    const result = await deliver(PROCESSR_QUEUE, [many([ok1!, ok2!]), many([ok2!, bad!]), { type: "process", leadId: bad! }]);
    failing = new Set();
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(2);
    expect(await leadRow(ok2!)).toMatchObject({ flag: "Valid", processing_counter: 1 });
  });

  it(`runs more leads than ${RUN_BATCH_LEADS} in runs of at most ${RUN_BATCH_LEADS}, no D1 statement binding more than D1's 100 parameters`, async () => {
    const ids = await leads(RUN_BATCH_LEADS * 2 + 10);
    const messages = Array.from({ length: Math.ceil(ids.length / PROCESS_MESSAGE_MAX_LEADS) }, (_, i) => ({
      id: `multi-${i}`, timestamp: new Date(), attempts: 1, body: many(ids.slice(i * PROCESS_MESSAGE_MAX_LEADS, (i + 1) * PROCESS_MESSAGE_MAX_LEADS)),
    }));
    let most = 0;
    // The Worker's D1 binding, counting the parameters bound to each statement.
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== "prepare") return Reflect.get(target, prop).bind(target);
        return (sql: string) => {
          const stmt = target.prepare(sql);
          const bind = stmt.bind.bind(stmt);
          stmt.bind = (...values: unknown[]) => {
            most = Math.max(most, values.length);
            return bind(...values);
          };
          return stmt;
        };
      },
    });
    const batch = createMessageBatch<ProcessrMessage>(PROCESSR_QUEUE, messages);
    const ctx = createExecutionContext();
    await handleQueue(batch, { ...env, DB: db }, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(messages.length);
    expect(most).toBe(RUN_BATCH_LEADS);
    expect(most).toBeLessThanOrEqual(100);
    const flags = await rows<{ n: number }>(
      `SELECT count(*) AS n FROM leads WHERE id IN (SELECT value FROM json_each(?1)) AND flag = 'Valid' AND processing_counter = 1`,
      JSON.stringify(ids),
    );
    expect(flags[0]!.n).toBe(ids.length);
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("acks malformed lists of leads without side effects", async () => {
    const [id] = await leads(1);
    const result = await deliver(PROCESSR_QUEUE, [
      { type: "process", leadIds: [] },
      { type: "process", leadIds: [id!, -1] },
      { type: "process", leadIds: Array.from({ length: PROCESS_MESSAGE_MAX_LEADS + 1 }, () => id!) },
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(await leadRow(id!)).toMatchObject({ flag: null, processr_status: 0 });
  });

  it("records a dead letter on each of its leads still being processed, once, and leaves the done ones alone", async () => {
    const [done, stuck] = await leads(2, FLAKY);
    failing = new Set([stuck!]);
    await deliver(PROCESSR_QUEUE, [many([done!, stuck!])], 6);
    failing = new Set();
    for (let i = 0; i < 2; i++) {
      const dead = await deliver(PROCESSR_DLQ, [many([done!, stuck!])], 6);
      expect(dead.explicitAcks).toHaveLength(1);
    }
    expect(await leadRow(done!)).toMatchObject({ flag: "Valid", processr_status: 1000 });
    expect(await leadRow(stuck!)).toMatchObject({ flag: null, processr_status: 900 });
    const errors = await rows<{ lead_id: number }>(`SELECT lead_id FROM logs WHERE lead_id IN (?1, ?2) AND level = 'error'`, done, stuck);
    expect(errors).toEqual([{ lead_id: stuck }]);
    expect(await campaignStats(FLAKY)).toEqual(await recountCampaign(env.DB, FLAKY));
  });
});
