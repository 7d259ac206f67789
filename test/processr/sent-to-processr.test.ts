import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recountCampaign } from "../../src/leads/statistics";
import { STUCK_AGE_MS, SWEEP_AGE_MS, sweepUnqueuedLeads } from "../../src/processr/sweeper";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { campaignStats, deliver, insertLead, insertTestCampaign, leadRow, PROCESSR_QUEUE, registerQaJob, rows } from "../leads/fixtures";
import { callWithQueue, fakeQueue, formBody, leadsPath, SIMPLE } from "../publisher/support";

// Sent to Processr (100) is written only for a run that did not finish in one go (issue 18): a run
// that finishes takes its lead from Received (0) to its outcome in one write of the lead row. A
// failed run moves its lead to 100 while its message waits for its retry, a redelivered message
// (its invocation died) moves it at load, and the sweeper still finds every lead nothing will
// finish: one never enqueued (at 0 for a minute), one abandoned (at 100 for an hour).

const FLAKY = 692;
let failuresLeft = 0;
let removeFlaky: () => void;
let admin: string;
let northwind: string;

beforeAll(async () => {
  removeFlaky = registerQaJob("flaky_sent_for_test", () => {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error("lookup unavailable");
    }
    return { passed: true, message: "ok" };
  });
  await insertTestCampaign(FLAKY, [{ id: 6921, type: "flaky_sent_for_test", label: "Flaky", score: 10 }]);
  [admin, northwind] = await Promise.all([loginAs(DEMO.admin), loginAs(DEMO.northwind)]);
  // Every write of a lead row, in order: what a lead's row goes through.
  await env.DB.batch([
    env.DB.prepare(`CREATE TABLE test_lead_writes (seq INTEGER PRIMARY KEY, lead_id INTEGER, processr_status INTEGER, processing_counter INTEGER)`),
    env.DB.prepare(
      `CREATE TRIGGER test_lead_writes_u AFTER UPDATE ON leads BEGIN
         INSERT INTO test_lead_writes (lead_id, processr_status, processing_counter) VALUES (NEW.id, NEW.processr_status, NEW.processing_counter);
       END`,
    ),
  ]);
});
afterAll(() => removeFlaky());

const writesOf = async (leadId: number) =>
  (await rows<{ processr_status: number; processing_counter: number }>(
    `SELECT processr_status, processing_counter FROM test_lead_writes WHERE lead_id = ?1 ORDER BY seq`, leadId,
  )).map((w) => [w.processr_status, w.processing_counter]);

/** The status as the two APIs show it: GET /api/v4/leads/{id} and the publisher API's lead result. */
async function shown(leadId: number) {
  const v4 = (await (await call(`/api/v4/leads/${leadId}`, { headers: bearer(admin) })).json()) as { processrStatus: number };
  const result = (await (await call(`/api/v2.4/publisher/12/lead-result/${leadId}`, { headers: bearer(northwind) })).json()) as {
    processrStatus: number; processrStatusName: string; complete: boolean;
  };
  return [v4.processrStatus, result.processrStatus, result.processrStatusName, result.complete];
}

/** A lead captured through the publisher API (campaign 601), its queue message held back (returned). */
async function capture(failSend = false) {
  const q = fakeQueue(failSend);
  const res = await callWithQueue(q, leadsPath(12, 35, 601), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...bearer(northwind) },
    body: formBody(SIMPLE),
  });
  expect(res.status).toBe(201);
  return { id: ((await res.json()) as { data: number }).data, sent: q.sent };
}

/** A lead of a test campaign of publisher 12, inserted as capture would, and its queue message. */
async function captured(campaignId: number, formId?: number) {
  const id = await insertLead({ campaignId, formId });
  // Only the Processr's writes: the fixture may write the new row more than once.
  await env.DB.prepare(`DELETE FROM test_lead_writes WHERE lead_id = ?1`).bind(id).run();
  return { id, sent: [{ type: "process" as const, leadId: id }] };
}

const times = async (leadId: number) =>
  (await rows<{ created_ts: number; updated_ts: number }>(`SELECT created_ts, updated_ts FROM leads WHERE id = ?1`, leadId))[0]!;
const sweep = (now: number) => sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: fakeQueue() as never }, now);

describe("Sent to Processr, only for runs that do not finish in one go", () => {
  it("a run that finishes writes the lead row once, from Received to Complete, counting the run", async () => {
    const { id, sent } = await capture();
    expect(await shown(id)).toEqual([0, 0, "Received", false]);
    const result = await deliver(PROCESSR_QUEUE, sent);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await writesOf(id)).toEqual([[1000, 1]]);
    expect(await shown(id)).toEqual([1000, 1000, "Complete", true]);
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("a lead put on hold is written once too, and counts its run", async () => {
    const { id, sent } = await captured(602, 36);
    await deliver(PROCESSR_QUEUE, sent);
    expect(await writesOf(id)).toEqual([[500, 1]]);
    expect(await leadRow(id)).toMatchObject({ flag: null, processr_status: 500, processing_counter: 1 });
  });

  it("a failed run leaves its lead at Sent to Processr until its retry finishes it; the run is counted once", async () => {
    const { id, sent } = await captured(FLAKY);
    failuresLeft = 1;
    const failed = await deliver(PROCESSR_QUEUE, sent);
    expect(failed.retryMessages).toHaveLength(1);
    expect(await shown(id)).toEqual([100, 100, "Sent to Processr", false]);
    // Waiting for its retry: not a lead that was never enqueued.
    expect(await sweep((await times(id)).created_ts + SWEEP_AGE_MS + 1)).not.toContain(id);

    const ok = await deliver(PROCESSR_QUEUE, sent, 2);
    expect(ok.explicitAcks).toHaveLength(1);
    expect(await writesOf(id)).toEqual([[100, 1], [1000, 1]]);
    expect(await shown(id)).toEqual([1000, 1000, "Complete", true]);
    expect(await campaignStats(FLAKY)).toEqual(await recountCampaign(env.DB, FLAKY));
  });
});

describe("failure paths: each lead is picked up, and processed once", () => {
  it("a crash between capture's insert and its queue send: the sweeper sends the lead once it is a minute old, then never again", async () => {
    const { id, sent } = await capture(true);
    expect(sent).toEqual([]);
    const created = (await times(id)).created_ts;
    expect(await sweep(created + 30_000)).not.toContain(id);
    const q = fakeQueue();
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: q as never }, created + SWEEP_AGE_MS + 1)).toContain(id);
    expect(q.sent.filter((m) => m.leadId === id)).toEqual([{ type: "process", leadId: id }]);
    await deliver(PROCESSR_QUEUE, q.sent.filter((m) => m.leadId === id));
    expect(await writesOf(id)).toEqual([[1000, 1]]);
    expect(await sweep(created + 2 * SWEEP_AGE_MS)).not.toContain(id);
    expect(await sweep(created + STUCK_AGE_MS + SWEEP_AGE_MS)).not.toContain(id);
  });

  it("a lead reprocessed long after its capture is a minute's wait from its reset, not from its capture", async () => {
    const { id, sent } = await capture();
    await deliver(PROCESSR_QUEUE, sent);
    const created = (await times(id)).created_ts;
    const resetAt = created + STUCK_AGE_MS;
    // Its reset back to Received (the reprocess request's write), an hour after capture; its queue send follows.
    await env.DB.prepare(`UPDATE leads SET processr_status = 0, updated_ts = ?2 WHERE id = ?1`).bind(id, resetAt).run();
    expect(await sweep(resetAt + 30_000)).not.toContain(id);
    expect(await sweep(resetAt + SWEEP_AGE_MS + 1)).toContain(id);
  });

  it("a consumer crash mid-run leaves the lead Received; its redelivery and a sweeper's message process it once", async () => {
    const { id, sent } = await capture();
    // The invocation died before its write batch: nothing of the run reached D1.
    expect(await writesOf(id)).toEqual([]);
    const created = (await times(id)).created_ts;
    const q = fakeQueue();
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: q as never }, created + SWEEP_AGE_MS + 1)).toContain(id);
    // The queue's redelivery and the sweeper's message arrive in one batch, then the sweeper's again alone.
    const both = await deliver(PROCESSR_QUEUE, [...sent, ...q.sent.filter((m) => m.leadId === id)], 2);
    expect(both.explicitAcks).toHaveLength(2);
    const again = await deliver(PROCESSR_QUEUE, sent);
    expect(again.explicitAcks).toHaveLength(1);
    // Moved to Sent to Processr at load (a redelivery), then complete; one run counted, one outcome.
    expect(await writesOf(id)).toEqual([[100, 1], [1000, 1]]);
    expect(await rows(`SELECT id FROM lead_notes WHERE lead_id = ?1`, id)).toHaveLength(1);
    expect(await rows(`SELECT id FROM lead_events WHERE lead_id = ?1`, id)).toHaveLength(1);
    expect(await rows(`SELECT id FROM processr_job_leads WHERE lead_id = ?1`, id)).toHaveLength(5);
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("a run abandoned at Sent to Processr is sent again once after an hour, then not before another hour", async () => {
    const { id, sent } = await captured(FLAKY);
    failuresLeft = 1;
    await deliver(PROCESSR_QUEUE, sent);
    // Its retries and dead letter all lost: nothing more arrives for it.
    const at = (await times(id)).updated_ts;
    expect(await sweep(at + STUCK_AGE_MS - 1)).not.toContain(id);
    const q = fakeQueue();
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: q as never }, at + STUCK_AGE_MS + 1)).toContain(id);
    expect(await sweep(at + STUCK_AGE_MS + SWEEP_AGE_MS)).not.toContain(id);
    await deliver(PROCESSR_QUEUE, q.sent.filter((m) => m.leadId === id));
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, processing_counter: 1 });
    expect(await sweep(at + 3 * STUCK_AGE_MS)).not.toContain(id);
  });
});
