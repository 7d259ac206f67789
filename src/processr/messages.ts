// Messages on the Processr queue. Consumers must be idempotent: delivery is at-least-once.
export type ProcessrMessage =
  /** Run the campaign's QA jobs on a lead (capture, re-enqueue by the sweeper, reprocess). */
  | { type: "process"; leadId: number; reprocess?: boolean }
  /**
   * The same for several leads: capture's shared send (src/leads/capture-enqueue.ts), one message
   * for the leads of captures answered together, so that a queue batch carries more leads. Acked
   * once all its leads' runs are done, retried whole otherwise (the leads already done change nothing).
   */
  | { type: "process"; leadIds: number[]; leadId?: undefined }
  /** Deliver a Valid lead through one integration job (src/integrations/dispatch.ts). */
  | { type: "integrate"; leadId: number; jobId: number };

/**
 * At most this many leads in one message. A queue batch (50 messages) then holds at most 1,000
 * leads: ten runs of 100 (src/processr/consumer.ts), a few hundred D1 statements in all, within
 * what one consumer invocation may send D1 (1,000 queries).
 */
export const PROCESS_MESSAGE_MAX_LEADS = 20;
