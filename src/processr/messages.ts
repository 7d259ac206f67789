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

/** The most leads a message may name (the consumer refuses more; capture sends far fewer). */
export const PROCESS_MESSAGE_MAX_LEADS = 100;
