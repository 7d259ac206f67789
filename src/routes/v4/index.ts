import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderHydraError } from "./hydra-errors";
import { leadsReprocess } from "./leads-reprocess";
import { changePassword } from "./users-change-password";

// The v4 API (JSON-LD/Hydra), mounted at /api/v4. Every error renders as a Hydra error.
export const v4 = new Hono<AppEnv>();
v4.onError(renderHydraError);
v4.route("/", changePassword);
v4.route("/", leadsReprocess);
