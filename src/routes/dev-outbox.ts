import { asc } from "drizzle-orm";
import { Hono } from "hono";
import { getDb } from "../db/client";
import { outboxMessages } from "../db/schema";
import type { AppEnv } from "../env";

// GET /__dev/outbox: messages stored by the local `outbox` SMS provider. Mounted only when that
// provider is configured (src/app.ts), so the route does not exist anywhere else.
export const devOutbox = new Hono<AppEnv>();

devOutbox.get("/", async (c) => {
  const rows = await getDb(c.env).select().from(outboxMessages).orderBy(asc(outboxMessages.id)).all();
  return c.json(rows.map((r) => ({ to: r.to, body: r.body, createdTs: new Date(r.createdTs).toISOString() })));
});
