import type { ProcessrMessage } from "../processr/messages";

// Capture's Processr messages, sent a few at a time (issue 17). A queue send costs about half the
// CPU of a one-row D1 insert on the local runtime (scripts/lib/bench-capture-floor.mjs: one insert
// + one send against one insert), mostly per call rather than per message. So a capture answered
// with waitUntil does not send its lead's message by itself: it adds the lead to the isolate's
// pending ones. The capture that finds none pending sets a timer and, ENQUEUE_DELAY_MS later,
// within its own waitUntil, sends every lead then pending in one sendBatch; captures answered
// meanwhile only add their lead, since that send takes it (a timer each would wake the isolate
// once per capture for nothing). A lead a send has taken is not sent again.
//
// No request waits on another request's I/O: a capture that left its lead to another's send awaits
// nothing of it, and the capture whose send takes others' leads stays alive (its waitUntil) until
// the send is done. A send that fails, or a lead that never leaves because the isolate or the
// capture that was to send it went away first, stays at processr_status 0 and the sweeper
// (src/processr/sweeper.ts) re-enqueues it within minutes, as after a failed send before. The
// Processr is at-least-once anyway (src/processr/messages.ts).

/** How long a message waits for others before its capture sends what is pending. */
export const ENQUEUE_DELAY_MS = 5;
/** Queues take at most 100 messages per sendBatch. */
export const ENQUEUE_BATCH_MAX = 100;

/** What is used of the queue binding (its sendBatch). */
type Send = { sendBatch(messages: MessageSendRequest<ProcessrMessage>[]): Promise<unknown> };

/**
 * Per queue binding (one per isolate in a deployment; tests pass their own), the leads captured in
 * this isolate whose message no send has taken yet, oldest first.
 */
const pendingByQueue = new WeakMap<Send, number[]>();

/**
 * Sends the lead's Processr message with the isolate's other pending ones for `queue`: with a send
 * already due, in that send (resolves at once); otherwise ENQUEUE_DELAY_MS from now, resolving once
 * every message then pending has been sent (or failed). Never rejects.
 */
export async function enqueueSoon(queue: Send, leadId: number): Promise<void> {
  let pending = pendingByQueue.get(queue);
  if (pending === undefined) pendingByQueue.set(queue, (pending = []));
  pending.push(leadId);
  // A send is already due for the leads pending before this one: it takes this lead too.
  if (pending.length > 1) return;
  // The runtime's own timer: with nodejs_compat the global setTimeout is Node's, built in JavaScript
  // on top of it (a Timeout object and its bookkeeping per call).
  await scheduler.wait(ENQUEUE_DELAY_MS);
  while (pending.length > 0) {
    const leadIds = pending.splice(0, ENQUEUE_BATCH_MAX);
    try {
      await queue.sendBatch(leadIds.map((id) => ({ body: { type: "process", leadId: id } })));
    } catch (err) {
      // The leads are stored at processr_status 0; the sweeper sends them again within minutes.
      console.error("processr enqueue failed; the sweeper will retry", leadIds.join(","), String(err));
    }
  }
}
