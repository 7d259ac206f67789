import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderPublisherError } from "./errors";
import { fields } from "./fields";
import { leadResult } from "./lead-result";
import { leads } from "./leads";
import { links } from "./links";

// The Publisher API (Convertr's publisher API documentation), mounted at /api/v2.{n}/publisher: every v2.x version
// segment the documents use (v2.1, v2.4) reaches the same handlers.
export const PUBLISHER_API_BASE = "/api/:version{v2(?:\\.[0-9]+)?}/publisher";

export const publisher = new Hono<AppEnv>();
publisher.onError(renderPublisherError);
publisher.route("/", fields);
publisher.route("/", links);
publisher.route("/", leads);
publisher.route("/", leadResult);
