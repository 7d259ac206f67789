import type { Env } from "../env";
import type { ProcessrMessage } from "../processr/messages";

// Outbound delivery of Valid leads through the campaign's integration jobs (issue 6; being implemented).

/** Called when a lead becomes Valid (from any source): queues one "integrate" message per integration job. */
export async function enqueueIntegrations(_env: Env, _leadId: number): Promise<void> {}

/** Handles one "integrate" queue message. */
export async function handleIntegrateMessage(
  _env: Env,
  _msg: Extract<ProcessrMessage, { type: "integrate" }>,
): Promise<"ack" | { retryAfterSeconds: number }> {
  return "ack";
}
