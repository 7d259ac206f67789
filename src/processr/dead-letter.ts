import type { Env } from "../env";
import { failDeadLetteredDelivery } from "../integrations/dispatch";
import { setLeadProcessrStatus } from "../leads/client";
import type { ProcessrMessage } from "./messages";
import { PROCESSR_STATUS } from "./types";

// Messages that failed max_retries times. A Processr run that never completed leaves its lead at
// Processing Failed (900, shown on the lead; an admin can reprocess it): the lead object writes the
// status, a note and an error log line in one batch, and does nothing for a lead that is no longer
// being processed, so a redelivered dead letter adds nothing. A failed integration delivery is
// marked failed with the reason and gets an error log line, in one batch and once (see
// failDeadLetteredDelivery); the lead keeps its flag. Then the message is acked; an error here (D1
// unavailable) retries the dead letter itself.

export async function handleDeadLetters(batch: MessageBatch<ProcessrMessage>, env: Env) {
  await Promise.all(
    batch.messages.map(async (msg) => {
      try {
        await recordDeadLetter(env, msg);
        msg.ack();
      } catch (err) {
        console.error("processr DLQ: could not record", msg.id, err instanceof Error ? err.message : String(err));
        msg.retry({ delaySeconds: 30 });
      }
    }),
  );
}

async function recordDeadLetter(env: Env, msg: Message<ProcessrMessage>) {
  const body = msg.body as { type?: unknown; leadId?: unknown; jobId?: unknown } | null;
  const leadId = typeof body?.leadId === "number" && Number.isSafeInteger(body.leadId) && body.leadId > 0 ? body.leadId : null;
  const lead = leadId === null
    ? null
    : await env.DB.prepare(`SELECT id, campaign_id FROM leads WHERE id = ?1`).bind(leadId).first<{ id: number; campaign_id: number }>();
  if (!lead) {
    console.error("processr DLQ: message for no known lead", msg.id, JSON.stringify(msg.body));
    return;
  }
  const context = { messageId: msg.id, attempts: msg.attempts, body: msg.body };
  if (body?.type === "integrate") {
    const jobId = typeof body.jobId === "number" && Number.isSafeInteger(body.jobId) ? body.jobId : null;
    const reason = `Integration job ${jobId} gave up after ${msg.attempts} attempt(s); the message went to the dead-letter queue.`;
    await failDeadLetteredDelivery(env, { id: lead.id, campaignId: lead.campaign_id }, jobId, reason, JSON.stringify(context));
    return;
  }
  await setLeadProcessrStatus(env, {
    leadId: lead.id,
    status: PROCESSR_STATUS.FAILED,
    author: "processr",
    reason: `Processing failed after ${msg.attempts} attempt(s); the message went to the dead-letter queue.`,
    context,
  });
}
