import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { BulkMessage } from "../../src/bulk/messages";
import { advanceBackfills, runBackfills } from "../../src/db/backfills";
import worker from "../../src/index";
import { insertLead, rows } from "../leads/fixtures";

// What a migration leaves to backfill is done back to back, not a slice a minute: the cron starts
// a chain of messages on the bulk queue, each doing ranges for its budget and sending the next
// while some are left. Two runners at once (the cron while a message runs, a message delivered
// twice) must not both go on: the one that finds the cursor moved stops, so the chain never forks.

/** A stand-in for the bulk queue: what was sent on it. */
function bulkQueue() {
  const sent: BulkMessage[] = [];
  return { sent, queue: { send: async (body: BulkMessage) => void sent.push(body) } as unknown as Queue<BulkMessage> };
}

/** Leads captured under names whose copies (first_name, last_name) migration 0046 left to its backfill. */
async function pendingLeads(n: number): Promise<number[]> {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await insertLead({ data: { forename: `Ada${i}`, surname: "Lovelace", email: `chain-${crypto.randomUUID()}@example.test` } }));
  await env.DB.prepare(
    `INSERT INTO backfills (name, next_id, last_id) VALUES ('lead_core_fields', 0, ?1) ON CONFLICT (name) DO UPDATE SET next_id = 0, last_id = excluded.last_id`,
  ).bind(ids.at(-1)).run();
  return ids;
}

const copied = async (ids: number[]) =>
  (await rows<{ n: number }>(`SELECT count(*) AS n FROM leads WHERE id IN (SELECT value FROM json_each(?1)) AND first_name IS NOT NULL AND last_name = 'Lovelace'`, JSON.stringify(ids)))[0]!.n;

/** Ranges of one lead each over every lead up to the backfill's last id: how many there are. */
const leadsUpTo = async (last: number) => (await rows<{ n: number }>(`SELECT count(*) AS n FROM leads WHERE id <= ?1`, last))[0]!.n;

beforeEach(async () => {
  await env.DB.prepare(`DELETE FROM backfills`).run();
});

describe("the backfill chain", () => {
  it("hands what its budget left to a message on the bulk queue, which finishes it and sends no more", async () => {
    const ids = await pendingLeads(5);
    const first = bulkQueue();
    await advanceBackfills({ DB: env.DB, BULK_QUEUE: first.queue }, { size: 2, maxRanges: 1 });
    expect(first.sent).toEqual([{ type: "backfills" }]);
    expect(await rows(`SELECT name FROM backfills`)).toEqual([{ name: "lead_core_fields" }]);
    expect(await copied(ids)).toBeLessThan(5);

    // The message, as the bulk queue delivers it to the Worker.
    const next = bulkQueue();
    const batch = createMessageBatch<BulkMessage>("leadflare-bulk", [{ id: "chain-1", timestamp: new Date(), attempts: 1, body: first.sent[0]! }]);
    const ctx = createExecutionContext();
    await worker.queue!(batch, { ...env, BULK_QUEUE: next.queue }, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["chain-1"]);
    expect(await rows(`SELECT * FROM backfills`)).toEqual([]);
    expect(await copied(ids)).toBe(5);
    expect(next.sent).toEqual([]);
  });

  it("is started by the cron, which sends nothing once none is left", async () => {
    const ids = await pendingLeads(3);
    const sent = bulkQueue();
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), { ...env, BULK_QUEUE: sent.queue }, ctx);
    await waitOnExecutionContext(ctx);
    expect(await rows(`SELECT * FROM backfills`)).toEqual([]);
    expect(await copied(ids)).toBe(3);
    expect(sent.sent).toEqual([]);
  });

  it("goes on in one runner when two start at once: the other stops, no range is applied twice or skipped", async () => {
    const ids = await pendingLeads(6);
    const total = await leadsUpTo(ids.at(-1)!);
    const [a, b] = await Promise.all([runBackfills(env, { size: 1 }), runBackfills(env, { size: 1 })]);
    // Neither hands on (one finished, the other found the cursor moved), and the ranges add up.
    expect([a.left, b.left]).toEqual([false, false]);
    expect([a.ranges, b.ranges].sort((x, y) => x - y)).toEqual([0, total]);
    expect(await rows(`SELECT * FROM backfills`)).toEqual([]);
    expect(await copied(ids)).toBe(6);
  });
});

