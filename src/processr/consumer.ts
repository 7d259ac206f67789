import { z } from "zod";
import type { Env } from "../env";
import { handleIntegrateMessage } from "../integrations/dispatch";
import { handleDeadLetters } from "./dead-letter";
import type { ProcessrMessage } from "./messages";
import { runProcessr } from "./run";

// The queue handler for both queues: the Processr queue (QA runs and integration deliveries) and
// its dead-letter queue. Each message is acked or retried on its own. A thrown error is taken as
// transient and retried with exponential backoff; after max_retries (wrangler.toml) the queue moves
// the message to the dead-letter queue, whose handler records the failure on the lead.

const id = z.number().int().positive();
export const messageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("process"), leadId: id, reprocess: z.boolean().optional() }),
  z.object({ type: z.literal("integrate"), leadId: id, jobId: id }),
]);

/** Seconds before retry n (attempts counts deliveries so far): 10, 20, 40, 80, 160, capped at 10 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(600, 10 * 2 ** Math.max(0, attempts - 1));
}

export const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

export async function handleQueue(batch: MessageBatch<ProcessrMessage>, env: Env, _ctx: ExecutionContext) {
  if (isDeadLetterQueue(batch.queue)) return handleDeadLetters(batch, env);
  await Promise.all(batch.messages.map((msg) => handleMessage(msg, env)));
}

async function handleMessage(msg: Message<ProcessrMessage>, env: Env) {
  const parsed = messageSchema.safeParse(msg.body);
  if (!parsed.success) {
    // Retrying cannot fix a malformed body, and without a lead id there is nothing to record.
    console.error("processr: dropping malformed message", msg.id, JSON.stringify(msg.body));
    msg.ack();
    return;
  }
  const body = parsed.data;
  try {
    if (body.type === "process") {
      await runProcessr(env, body.leadId);
      msg.ack();
      return;
    }
    const result = await handleIntegrateMessage(env, body);
    if (result === "ack") msg.ack();
    else msg.retry({ delaySeconds: Math.max(0, Math.ceil(result.retryAfterSeconds)) });
  } catch (err) {
    console.error("processr: message failed, retrying", msg.id, body.type, body.leadId, err instanceof Error ? err.message : String(err));
    msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  }
}
