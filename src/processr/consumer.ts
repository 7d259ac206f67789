import { z } from "zod";
import type { Env } from "../env";
import { enqueueIntegrations, handleIntegrateMessage, hasTriggeredJob, integrationBatch } from "../integrations/dispatch";
import { hostConcurrency, hostSlots } from "../integrations/host-limiter";
import { callbacksLeft, decideLead, handOffCommitted, transitionLead } from "../leads/client";
import { appliedLeadIds, leadWriteStatements } from "../leads/lead-writes";
import { deliverCallbackBatches } from "../leads/sync-callbacks";
import { handleDeadLetters } from "./dead-letter";
import type { ProcessrMessage } from "./messages";
import { createBatchLookups } from "./job-context";
import { loadLeads, planRun, runStatements, sentToProcessr } from "./run";

// The queue handler for both queues: the Processr queue (QA runs and integration deliveries) and
// its dead-letter queue. Each message is acked or retried on its own. A thrown error is taken as
// transient and retried with exponential backoff; after max_retries (wrangler.toml) the queue moves
// the message to the dead-letter queue, whose handler records the failure on the lead.

const id = z.number().int().positive();
export const messageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("process"), leadId: id, reprocess: z.boolean().optional() }),
  z.object({ type: z.literal("integrate"), leadId: id, jobId: id }),
]);

type IntegrateBody = Extract<z.infer<typeof messageSchema>, { type: "integrate" }>;
type Integration = { msg: Message<ProcessrMessage>; body: IntegrateBody };

/** Seconds before retry n (attempts counts deliveries so far): 10, 20, 40, 80, 160, capped at 10 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(600, 10 * 2 ** Math.max(0, attempts - 1));
}

export const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

export async function handleQueue(batch: MessageBatch<ProcessrMessage>, env: Env, _ctx: ExecutionContext) {
  if (isDeadLetterQueue(batch.queue)) return handleDeadLetters(batch, env);
  // "process" messages of one lead share one run (a redelivery arriving with the original).
  const runs = new Map<number, Message<ProcessrMessage>[]>();
  const integrations: Integration[] = [];
  for (const msg of batch.messages) {
    const parsed = messageSchema.safeParse(msg.body);
    if (!parsed.success) {
      // Retrying cannot fix a malformed body, and without a lead id there is nothing to record.
      console.error("processr: dropping malformed message", msg.id, JSON.stringify(msg.body));
      msg.ack();
    } else if (parsed.data.type === "process") {
      runs.set(parsed.data.leadId, [...(runs.get(parsed.data.leadId) ?? []), msg]);
    } else {
      integrations.push({ msg, body: parsed.data });
    }
  }
  await Promise.all([processLeads(runs, env), integrateWithLimit(integrations, env)]);
}

/**
 * Integration deliveries, at most as many at once as one receiver host takes (its limiter's
 * concurrency): a batch of 50 would otherwise start 50 calls, most of which find no slot and
 * are sent back to the queue with a delay. Each delivery that ends starts the next, so one slow
 * call does not hold back the others; a worker keeps its host slot from one delivery to the next
 * to the same host (one limiter call per delivery instead of two), and lets it go when it is done.
 * What the deliveries read before their claims is one read for the batch (integrationBatch); if
 * that read fails, each message reads on its own.
 */
async function integrateWithLimit(items: Integration[], env: Env) {
  if (items.length === 0) return;
  let handle: Handle = (body, slots) => handleIntegrateMessage(env, body, slots);
  try {
    handle = await integrationBatch(env, items.map((i) => i.body));
  } catch (err) {
    console.error("processr: the batch's integration read failed; each message reads on its own", err instanceof Error ? err.message : String(err));
  }
  let next = 0;
  const worker = async () => {
    const slots = hostSlots(env);
    try {
      while (next < items.length) {
        const { msg, body } = items[next++]!;
        await handleIntegrate(msg, body, slots, handle);
      }
    } finally {
      // Never throws: if the limiter cannot be told, the lease runs out on its own (LEASE_MS).
      await slots.release();
    }
  };
  await Promise.all(Array.from({ length: Math.min(hostConcurrency(env), items.length) }, worker));
}

const retry = (msgs: Message<ProcessrMessage>[], leadId: number, err: unknown) => {
  for (const msg of msgs) {
    console.error("processr: message failed, retrying", msg.id, "process", leadId, err instanceof Error ? err.message : String(err));
    msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  }
};

/**
 * The Processr runs of a queue batch, with D1 round trips shared between its leads: one batch
 * reads them all with their lead objects' states (loadLeads), their duplicate and list lookups go
 * out together (createBatchLookups), each lead object decides its lead's outcome from that state
 * (decide: no D1 call), and ONE batch writes every job result, log, note, event, callback and
 * lead row of the queue batch, the statistics summed per row (src/leads/lead-writes.ts).
 *
 * A decision applies only if its lead is still as the batch read it; one whose lead changed
 * meanwhile (a PATCH, a webhook) applied nothing and goes through its object again, which decides
 * from a fresh read. If the write batch fails, nothing of it applied and every message is retried;
 * a retry of a lead whose write did apply finds it complete and changes nothing. Each lead is
 * still acked or retried on its own.
 */
async function processLeads(runs: Map<number, Message<ProcessrMessage>[]>, env: Env) {
  if (runs.size === 0) return;
  let loaded: Awaited<ReturnType<typeof loadLeads>>;
  const redelivered = [...runs].filter(([, msgs]) => msgs.some((m) => m.attempts > 1)).map(([leadId]) => leadId);
  try {
    loaded = await loadLeads(env.DB, [...runs.keys()], redelivered);
  } catch (err) {
    for (const [leadId, msgs] of runs) retry(msgs, leadId, err);
    return;
  }
  // The leads whose run fails here are moved to Sent to Processr once the batch is done.
  const failed: number[] = [];
  try {
    await runLoaded(runs, loaded, env, (msgs, leadId, err) => {
      retry(msgs, leadId, err);
      failed.push(leadId);
    });
  } finally {
    await markUnfinished(env, failed);
  }
}

/**
 * A run that failed leaves its lead at Sent to Processr (100) while its message waits for its
 * retry, so that the sweeper does not take it for a lead never enqueued (docs/processr.md). Best
 * effort: if D1 refuses this too, the lead stays Received and is moved on its message's retry
 * (loadLeads' redelivered), or re-sent by the sweeper a minute after capture, which is harmless.
 */
async function markUnfinished(env: Env, leadIds: number[]) {
  if (leadIds.length === 0) return;
  try {
    await sentToProcessr(env.DB, leadIds, Date.now()).run();
  } catch (err) {
    console.error("processr: could not mark failed runs Sent to Processr", leadIds.join(","), err instanceof Error ? err.message : String(err));
  }
}

async function runLoaded(
  runs: Map<number, Message<ProcessrMessage>[]>,
  loaded: Awaited<ReturnType<typeof loadLeads>>,
  env: Env,
  fail: (msgs: Message<ProcessrMessage>[], leadId: number, err: unknown) => void,
) {
  const shared = createBatchLookups(env);
  const decided = await Promise.all(
    [...runs].map(async ([leadId, msgs]) => {
      try {
        const lead = loaded.leads.get(leadId);
        // "Lead created" integrations start with the lead's first run; a retried or repeated run
        // cannot make one act twice (a job acts once per lead).
        if (lead && hasTriggeredJob(lead.jobs, "leadCreated")) await enqueueIntegrations(env, leadId, ["leadCreated"]);
        const plan = await planRun(env, lead, {}, shared);
        if (plan.kind === "write") {
          const state = loaded.states.get(leadId)!;
          return { leadId, msgs, plan, decision: await decideLead(env, { ...plan.transition, snapshot: state, callbacksByCaller: true }) };
        }
        for (const msg of msgs) msg.ack();
      } catch (err) {
        fail(msgs, leadId, err);
      }
      return null;
    }),
  );
  const writes = decided.filter((d) => d !== null);
  if (writes.length === 0) return;
  const leadWrites = writes.flatMap((w) => (w.decision.write ? [w.decision.write] : []));
  let applied: Set<number>;
  try {
    const results = await env.DB.batch([...runStatements(env.DB, writes.map((w) => w.plan)), ...leadWriteStatements(env.DB, leadWrites)]);
    applied = appliedLeadIds(leadWrites.length ? results : []);
  } catch (err) {
    for (const w of writes) fail(w.msgs, w.leadId, err);
    return;
  }
  const changed: number[] = [];
  const handOffs: number[] = [];
  await Promise.all(
    writes.map(async ({ leadId, msgs, plan, decision }) => {
      try {
        let result = decision.result;
        // A write that applied as decided queued a callback per subscription active then, and none
        // without: such a lead has nothing for this batch to send (no D1 read for it).
        let callbacks = true;
        if (decision.write && applied.has(leadId)) {
          if (decision.handOff) handOffs.push(leadId);
          callbacks = decision.write.guard.maxSubscriptionId > 0;
        } else if (decision.write) {
          // The lead changed since the batch read it: its object decides again from D1 and commits.
          result = await transitionLead(env, { ...plan.transition, callbacksByCaller: true });
        }
        if (result.ok && result.changed && callbacks) changed.push(leadId);
        for (const msg of msgs) msg.ack();
      } catch (err) {
        fail(msgs, leadId, err);
      }
    }),
  );
  // The batch's hand-offs together; what fails here the lead objects' alarms hand off.
  await handOffCommitted(env, handOffs);
  // The batch's sync callbacks, per receiver in one request each; what fails here is retried by
  // the lead objects' alarms, set for the retry's time.
  try {
    await callbacksLeft(env, await deliverCallbackBatches(env, changed));
  } catch (err) {
    console.error("processr: batched sync callbacks failed; the lead objects' alarms retry them", err instanceof Error ? err.message : String(err));
  }
}

type Handle = (body: IntegrateBody, slots: ReturnType<typeof hostSlots>) => ReturnType<typeof handleIntegrateMessage>;

async function handleIntegrate(msg: Message<ProcessrMessage>, body: IntegrateBody, slots: ReturnType<typeof hostSlots>, handle: Handle) {
  try {
    const result = await handle(body, slots);
    if (result === "ack") msg.ack();
    else msg.retry({ delaySeconds: Math.max(0, Math.ceil(result.retryAfterSeconds)) });
  } catch (err) {
    console.error("processr: message failed, retrying", msg.id, body.type, body.leadId, err instanceof Error ? err.message : String(err));
    msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  }
}
