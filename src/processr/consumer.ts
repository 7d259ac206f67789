import type { Env } from "../env";
import type { ProcessrMessage } from "./messages";

// Placeholder until the Processr consumer lands (issue 4): leaves messages for retry.
export async function handleQueue(batch: MessageBatch<ProcessrMessage>, _env: Env, _ctx: ExecutionContext) {
  batch.retryAll();
}
