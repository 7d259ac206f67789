import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleDeadLetters } from "../../src/processr/dead-letter";
import type { ProcessrMessage } from "../../src/processr/messages";
import { deliver, PROCESSR_DLQ } from "../leads/fixtures";
import { delivery, insertJob, insertLead, losingAnswer, providerLogs, sqlOf, withAdaptor } from "./helpers";

// A dead-lettered "integrate" message (its handler crashed max_retries times) marks the delivery
// failed with the reason, so that the lead shows it; once, however often the dead letter comes.

const config = { name: "CRM", url: "https://crm.example.test/in" };

/** The dead letter handled with `DB` in place of the database; its acks and retries. */
async function deadLetterWith(DB: D1Database, body: ProcessrMessage) {
  const batch = createMessageBatch<ProcessrMessage>(PROCESSR_DLQ, [{ id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 6, body }]);
  const ctx = createExecutionContext();
  await handleDeadLetters(batch, { ...env, DB });
  return getQueueResult(batch, ctx);
}

/** The batch that marks the delivery failed. */
const failsDelivery = (stmts: D1PreparedStatement[]) => stmts.some((s) => sqlOf(s).includes("SET status = 'failed'"));

async function notes(leadId: number) {
  const { results } = await env.DB.prepare("SELECT author, note, reason FROM lead_notes WHERE lead_id = ? ORDER BY id").bind(leadId).all();
  return results;
}

describe("dead-lettered integrate messages", () => {
  it("mark the pending delivery failed with the reason, the job result failed, one note and one log line", async () => {
    const jobId = await insertJob(602, "http_integration", await withAdaptor(config), "CRM");
    const lead = await insertLead(602, 12, 36, { firstName: "Ada" });
    await env.DB.prepare("INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key, attempts) VALUES (?, ?, 'k-dlq', 2)")
      .bind(lead.id, jobId)
      .run();
    const reason = `Integration job ${jobId} gave up after 6 attempt(s); the message went to the dead-letter queue.`;
    for (let i = 0; i < 2; i++) {
      const res = await deliver(PROCESSR_DLQ, [{ type: "integrate", leadId: lead.id, jobId }], 6);
      expect(res.explicitAcks).toHaveLength(1);
    }
    expect(await delivery(lead.id, jobId)).toMatchObject({ status: "failed", last_error: reason, attempts: 2 });
    const result = await env.DB.prepare("SELECT status, message, detail FROM processr_job_leads WHERE lead_id = ? AND campaign_processr_job_id = ?")
      .bind(lead.id, jobId)
      .first();
    expect(result).toEqual({ status: "failed", message: "Not delivered to the client.", detail: reason });
    expect(await notes(lead.id)).toEqual([{ author: "integration:http_integration", note: "Not delivered to the client.", reason: `CRM: ${reason}` }]);
    expect((await providerLogs(lead.id)).map((l) => [l.level, l.message])).toEqual([["error", reason]]);
  });

  it("create the failed delivery when none was recorded, and never touch a delivered one", async () => {
    const jobId = await insertJob(602, "http_integration", await withAdaptor(config), "CRM");
    const fresh = await insertLead(602, 12, 36, { firstName: "Grace" });
    await deliver(PROCESSR_DLQ, [{ type: "integrate", leadId: fresh.id, jobId }], 6);
    expect(await delivery(fresh.id, jobId)).toMatchObject({ status: "failed" });

    const done = await insertLead(602, 12, 36, { firstName: "Hedy" });
    await env.DB.prepare(
      "INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key, status, response_value) VALUES (?, ?, 'k-done', 'delivered', 'R-9')",
    )
      .bind(done.id, jobId)
      .run();
    await deliver(PROCESSR_DLQ, [{ type: "integrate", leadId: done.id, jobId }], 6);
    expect(await delivery(done.id, jobId)).toMatchObject({ status: "delivered", last_error: null, response_value: "R-9" });
    expect(await notes(done.id)).toEqual([]);
    expect(await providerLogs(done.id)).toEqual([]);
  });

  it("leave deliveries alone for a job of another campaign, and still log the dead letter", async () => {
    const otherJob = await insertJob(601, "http_integration", await withAdaptor(config), "Other");
    const lead = await insertLead(602, 12, 36, { firstName: "Ida" });
    await deliver(PROCESSR_DLQ, [{ type: "integrate", leadId: lead.id, jobId: otherJob }], 6);
    expect(await delivery(lead.id, otherJob)).toBeNull();
    expect((await providerLogs(lead.id)).map((l) => l.level)).toEqual(["error"]);
  });

  it("log a dead letter for a job that is gone once, however often the same message comes", async () => {
    const lead = await insertLead(602, 12, 36, { firstName: "Hedy" });
    // The queue delivers at least once: the same message (same id) again after its ack was lost.
    const message = { id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 6, body: { type: "integrate", leadId: lead.id, jobId: 999_999 } as ProcessrMessage };
    for (let i = 0; i < 2; i++) {
      const batch = createMessageBatch<ProcessrMessage>(PROCESSR_DLQ, [message]);
      const ctx = createExecutionContext();
      await handleDeadLetters(batch, env);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([message.id]);
    }
    const logged = await providerLogs(lead.id);
    expect(logged.map((l) => [l.level, l.message, l.context.messageId])).toEqual([
      ["error", "Integration job 999999 gave up after 6 attempt(s); the message went to the dead-letter queue.", message.id],
    ]);
  });

  it("write the log line once when the failure's batch applied but its answer was lost", async () => {
    const jobId = await insertJob(602, "http_integration", await withAdaptor(config), "CRM");
    const lead = await insertLead(602, 12, 36, { firstName: "Joan" });
    const { DB, lost } = losingAnswer(failsDelivery);
    const first = await deadLetterWith(DB, { type: "integrate", leadId: lead.id, jobId });
    expect(lost.count).toBe(1);
    expect(first.retryMessages).toHaveLength(1);
    const again = await deliver(PROCESSR_DLQ, [{ type: "integrate", leadId: lead.id, jobId }], 6);
    expect(again.explicitAcks).toHaveLength(1);
    expect(await delivery(lead.id, jobId)).toMatchObject({ status: "failed" });
    expect((await providerLogs(lead.id)).map((l) => l.level)).toEqual(["error"]);
    expect(await notes(lead.id)).toHaveLength(1);
  });

  it("write the log line with the failure, so D1 failing right after it loses nothing", async () => {
    const jobId = await insertJob(602, "http_integration", await withAdaptor(config), "CRM");
    const lead = await insertLead(602, 12, 36, { firstName: "Katherine" });
    let down = false;
    const unavailable = () => {
      throw new Error("D1_ERROR: unavailable");
    };
    const DB = new Proxy(env.DB, {
      get(target, prop) {
        if (down && (prop === "prepare" || prop === "batch")) return unavailable;
        if (prop !== "batch") {
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async (stmts: D1PreparedStatement[]) => {
          const results = await target.batch(stmts);
          down ||= failsDelivery(stmts);
          return results;
        };
      },
    });
    const first = await deadLetterWith(DB, { type: "integrate", leadId: lead.id, jobId });
    expect(down).toBe(true);
    expect(first.explicitAcks).toHaveLength(1);
    expect(await delivery(lead.id, jobId)).toMatchObject({ status: "failed" });
    expect((await providerLogs(lead.id)).map((l) => l.level)).toEqual(["error"]);
  });
});
