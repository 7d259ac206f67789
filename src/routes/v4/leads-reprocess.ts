import { Hono } from "hono";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { requestReprocess } from "../../processr/run";

// POST /api/v4/leads/{id}/reprocess (admin): clears the lead's job results and runs the Processr
// on it again, asynchronously: 202 with no body. The new outcome goes through the lead object;
// a note records it when the flag changes.
export const leadsReprocess = new Hono<AppEnv>();

leadsReprocess.post("/leads/:id{[0-9]+}/reprocess", authenticate(), requireAdmin, async (c) => {
  const id = Number(c.req.param("id"));
  const p = c.var.principal;
  if (p.kind !== "user") throw new ApiError("FORBIDDEN", "Access denied.");
  if (!Number.isSafeInteger(id) || !(await requestReprocess(c.env, id, { userId: p.userId, author: p.username }))) {
    throw new ApiError("NOT_FOUND", "Not Found");
  }
  return c.body(null, 202);
});
