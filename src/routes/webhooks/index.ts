import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderPublisherError } from "../publisher/errors";
import { leadAppend } from "./lead-append";
import { syncReceiver } from "./sync";
import { validationWebhooks } from "./validation";

// Inbound webhooks, in the publisher API's error shape {"code","message"}:
//   /api/webhook/{invalidate,validate}/{leadHash}, /api/webhook/sync   (mounted at /api/webhook)
//   /ajax/lead-append/{leadHash}                                       (mounted at /ajax)
export const webhooks = new Hono<AppEnv>();
webhooks.onError(renderPublisherError);
webhooks.route("/", validationWebhooks);
webhooks.route("/", syncReceiver);

export const ajax = new Hono<AppEnv>();
ajax.onError(renderPublisherError);
ajax.route("/", leadAppend);
