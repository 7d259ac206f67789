import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { integrationJobs } from "../../src/integrations";
import { integrationBatch } from "../../src/integrations/dispatch";
import { hostSlots } from "../../src/integrations/host-limiter";
import type { IntegrationOutcome, JobLead } from "../../src/processr/types";
import { insertTestCampaign } from "../leads/fixtures";
import { roundTripCounter } from "../publisher/support";
import { countedLimiter, delivery, insertJob, insertLead, recordingEnv } from "./helpers";

// The deliveries of a queue batch that run at the same time (the consumer's workers) send their
// claims together in one D1 round trip, and their outcomes together in another; each is still its
// own statements, and a delivery whose outcome fails does not take the others' with it, nor does a
// combined batch refused as a whole lose or repeat any of them. Their calls to the host's limiter go
// together too, and a failed shared call leaves each delivery pending for later.

const TYPE = "round_trips_for_test";
const CAMPAIGN = 696;
/** What the test's deliveries answer, by lead; every call waits until `open` is called. */
const answers = new Map<number, (db: D1Database) => IntegrationOutcome>();
let waiting: (() => void)[] = [];
const open = () => {
  for (const go of waiting) go();
  waiting = [];
};
integrationJobs[TYPE] = {
  kind: "integration", type: TYPE, catalogueId: null, name: TYPE,
  configSchema: z.object({}),
  destination: () => "https://round-trips.example.test/leads",
  isActive: () => true,
  async deliver(lead: JobLead) {
    await new Promise<void>((go) => waiting.push(go));
    return answers.get(lead.id)?.(env.DB) ?? { status: "delivered", message: "ok" };
  },
};
afterAll(() => delete integrationJobs[TYPE]);
await insertTestCampaign(CAMPAIGN, []);

let seq = 0;
async function batchOf(n: number) {
  const jobId = await insertJob(CAMPAIGN, TYPE, {});
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await insertLead(CAMPAIGN, 12, 35, { email: `trips${++seq}@example.org` })).id);
  return { jobId, msgs: ids.map((leadId) => ({ type: "integrate" as const, leadId, jobId })) };
}

/** Handles every message at once, each with a host slot of its own (as the consumer's workers do), once all have called out. */
async function handleAtOnce(handle: Awaited<ReturnType<typeof integrationBatch>>, msgs: { type: "integrate"; leadId: number; jobId: number }[], slotEnv = env) {
  const slots = msgs.map(() => hostSlots(slotEnv));
  const verdicts = Promise.allSettled(msgs.map((msg, i) => handle(msg, slots[i])));
  while (waiting.length < msgs.length) await new Promise((r) => setTimeout(r, 5));
  open();
  const settled = await verdicts;
  for (const s of slots) await s.release();
  return settled;
}

describe("the deliveries of a queue batch running at once", () => {
  it("claim in one D1 round trip and write their outcomes in one more", async () => {
    const { jobId, msgs } = await batchOf(5);
    const d1 = roundTripCounter();
    const handle = await integrationBatch({ ...env, DB: d1.db }, msgs);
    const settled = await handleAtOnce(handle, msgs);
    expect(settled.map((s) => s.status === "fulfilled" && s.value)).toEqual(msgs.map(() => "ack"));
    // The batch's read, the five claims, the five outcomes (one each before: 11).
    expect(d1.trips).toBe(3);
    for (const { leadId } of msgs) {
      expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 1, lease_until_ts: null });
      const result = await env.DB.prepare("SELECT status FROM job_results WHERE lead_id = ? AND campaign_processr_job_id = ?").bind(leadId, jobId).first();
      expect(result).toEqual({ status: "passed" });
    }
  });

  it("take their host slots in one call to the host's limiter", async () => {
    const { msgs } = await batchOf(5);
    const limiter = countedLimiter();
    const handle = await integrationBatch(limiter.env, msgs);
    const settled = await handleAtOnce(handle, msgs, limiter.env);
    expect(settled.map((s) => s.status === "fulfilled" && s.value)).toEqual(msgs.map(() => "ack"));
    // One call for the five acquires (five before), then each worker's release.
    expect(limiter.counted.calls).toBe(1 + 5);
  });

  it("a delivery whose outcome fails in D1 fails alone: the others' outcomes are written", async () => {
    const { jobId, msgs } = await batchOf(3);
    const bad = msgs[1]!.leadId;
    answers.set(bad, (db) => ({ status: "delivered", message: "ok", writes: [db.prepare("INSERT INTO no_such_table (x) VALUES (1)")] }));
    const settled = await handleAtOnce(await integrationBatch(env, msgs), msgs);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    for (const { leadId } of [msgs[0]!, msgs[2]!]) expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 1 });
    // Nothing of the failed outcome applied: its delivery is still claimed, pending, for the message's retry.
    expect(await delivery(bad, jobId)).toMatchObject({ status: "pending", attempts: 1 });
    const notes = await env.DB.prepare("SELECT count(*) AS n FROM lead_notes WHERE lead_id = ?").bind(bad).first<{ n: number }>();
    expect(notes!.n).toBe(0);
  });

  it("a combined batch that D1 refuses for no delivery's own reason is sent again delivery by delivery: each claimed and written once", async () => {
    const { jobId, msgs } = await batchOf(5);
    // A D1 that refuses any batch of more than one delivery's statements (a claim is 1, a delivered
    // outcome 4) after the batch's read: the combined claims and the combined outcomes.
    let calls = 0;
    let refused = 0;
    const db = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== "batch") return typeof value === "function" ? value.bind(target) : value;
        return async (stmts: D1PreparedStatement[]) => {
          calls += 1;
          if (calls > 1 && stmts.length > 4) {
            refused += 1;
            throw new Error("D1_ERROR: the combined batch was refused");
          }
          return target.batch(stmts);
        };
      },
    });
    const settled = await handleAtOnce(await integrationBatch({ ...env, DB: db }, msgs), msgs);
    expect(settled.map((s) => s.status === "fulfilled" && s.value)).toEqual(msgs.map(() => "ack"));
    expect(refused).toBe(2);
    for (const { leadId } of msgs) {
      expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 1, lease_until_ts: null });
      const written = await env.DB.prepare(
        `SELECT (SELECT count(*) FROM job_results WHERE lead_id = ?1 AND campaign_processr_job_id = ?2 AND status = 'passed') AS results,
                (SELECT count(*) FROM lead_notes WHERE lead_id = ?1) AS notes`,
      ).bind(leadId, jobId).first();
      expect(written).toEqual({ results: 1, notes: 1 });
    }
  });

  it("a shared limiter call that fails fails each of its deliveries alone: none calls out, each stays pending and comes back later", async () => {
    const { jobId, msgs } = await batchOf(3);
    let limiterCalls = 0;
    const OUTBOUND_LIMITER = {
      idFromName: (name: string) => env.OUTBOUND_LIMITER.idFromName(name),
      get: () => ({
        calls: async () => {
          limiterCalls += 1;
          throw new Error("limiter unavailable");
        },
        release: async () => {},
      }),
    } as unknown as typeof env.OUTBOUND_LIMITER;
    const { env: e, sent } = recordingEnv({ OUTBOUND_LIMITER });
    const handle = await integrationBatch(e, msgs);
    const verdicts = await Promise.all(msgs.map((msg) => handle(msg, hostSlots(e))));
    expect(verdicts).toEqual(msgs.map(() => "ack"));
    // One shared call, asked once more with its request id (only its answer might have been lost).
    expect(limiterCalls).toBe(2);
    expect(waiting).toHaveLength(0);
    for (const { leadId } of msgs) {
      const row = await delivery(leadId, jobId);
      expect(row).toMatchObject({ status: "pending", attempts: 1, lease_until_ts: null });
      expect(row!.last_error).toContain("limiter unavailable");
    }
    expect(sent.map((s) => s.body)).toEqual(expect.arrayContaining(msgs));
    expect(sent).toHaveLength(msgs.length);
  });
});
