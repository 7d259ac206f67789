import { Hono } from "hono";

// Baselines for `npm run bench`, served by the same workerd as leadflare but sharing nothing
// with it: the floor a Hono route costs, the floor one D1 write costs, and the floor one indexed
// page read costs.
type Env = { BASE_DB: D1Database };

const app = new Hono<{ Bindings: Env }>();

app.get("/json", (c) => c.json({ ok: true }));

// Created once per isolate, before the first insert; after that each request is one INSERT.
let table: Promise<unknown> | undefined;

app.post("/insert", async (c) => {
  table ??= c.env.BASE_DB.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, body TEXT, created_ts INTEGER)");
  await table;
  const body = await c.req.text();
  const { meta } = await c.env.BASE_DB.prepare("INSERT INTO hits (body, created_ts) VALUES (?, ?)")
    .bind(body, Date.now())
    .run();
  return c.json({ data: meta.last_row_id, status: 201 }, 201);
});

// The floor of a v4 page: 100 rows of one campaign, newest first, through an index, from a table
// as large as the leads table under measurement (filled by scripts/lib/bench-rows-baseline.mjs).
app.get("/rows", async (c) => {
  const { results } = await c.env.BASE_DB.prepare("SELECT * FROM rows WHERE campaign_id = ?1 ORDER BY id DESC LIMIT 100")
    .bind(Number(c.req.query("campaign") ?? 601))
    .all();
  return c.json(results);
});

// The same read answered with a body as large as the v4 page's (scripts/lib/bench-page-gap.mjs
// posts that page once): the floor of "100 indexed rows + JSON of that size", without our code.
let pageBody: unknown = [];

app.post("/page-body", async (c) => {
  pageBody = await c.req.json();
  return c.body(null, 204);
});

app.get("/rows-page-body", async (c) => {
  await c.env.BASE_DB.prepare("SELECT * FROM rows WHERE campaign_id = ?1 ORDER BY id DESC LIMIT 100")
    .bind(Number(c.req.query("campaign") ?? 601))
    .all();
  return new Response(JSON.stringify(pageBody), { headers: { "Content-Type": "application/json" } });
});

export default app;
