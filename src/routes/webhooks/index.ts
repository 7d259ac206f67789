import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderWebhookError } from "./errors";
import { leadAppend } from "./lead-append";
import { syncReceiver } from "./sync";
import { validationWebhooks } from "./validation";

// Inbound webhooks, answering errors as {"code","message"} (./errors.ts):
//   /api/webhook/{invalidate,validate}/{leadHash}, /api/webhook/sync   (mounted at /api/webhook)
//   /ajax/lead-append/{leadHash}                                       (mounted at /ajax)
export const webhooks = new Hono<AppEnv>();
webhooks.onError(renderWebhookError);
webhooks.route("/", validationWebhooks);
webhooks.route("/", syncReceiver);

export const ajax = new Hono<AppEnv>();
ajax.onError(renderWebhookError);
ajax.route("/", leadAppend);
