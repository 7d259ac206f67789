// Messages on the Processr queue. Consumers must be idempotent: delivery is at-least-once.
export type ProcessrMessage =
  /** Run the campaign's QA jobs on a lead (capture, re-enqueue by the sweeper, reprocess). */
  | { type: "process"; leadId: number; reprocess?: boolean }
  /** Deliver a Valid lead through one integration job (src/integrations/dispatch.ts). */
  | { type: "integrate"; leadId: number; jobId: number };
