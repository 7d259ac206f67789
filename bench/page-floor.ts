import { QueryParams } from "../src/hydra/query";
import { type Ctx, collectionStatements } from "../src/hydra/resource";
import { leadResource } from "../src/routes/v4/leads";

// The v4 page's statements floor for `npm run bench` (scripts/lib/bench-page-gap.mjs): the same
// statements leadflare's page sends (count, rows, relations), run as one D1 batch against
// leadflare's own D1 (LEADS_DB binds its database), answered with the page's own body, without
// leadflare's code per request. The statements are built once per query by leadflare's own
// function (collectionStatements, as an admin), so they cannot drift from the page's; after that a
// request is what the platform cannot avoid for this page: one D1 batch of these three statements
// and JSON.stringify of a body of the page's size. Never deployed.
type Env = { LEADS_DB: D1Database };

const statements = new Map<string, ReturnType<typeof collectionStatements>["statements"]>();
let pageBody: unknown = [];

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/page-body") {
      pageBody = await request.json();
      return new Response(null, { status: 204 });
    }
    if (url.pathname !== "/api/v4/leads") return new Response(null, { status: 404 });
    let batch = statements.get(url.search);
    if (!batch) {
      const admin = { isAdmin: true, publisherId: null, now: Date.now() } as Ctx;
      batch = collectionStatements(leadResource, admin, new QueryParams(request.url)).statements;
      statements.set(url.search, batch);
    }
    const db = env.LEADS_DB;
    await db.batch(batch.map((s) => db.prepare(s.sql).bind(...s.params)));
    return new Response(JSON.stringify(pageBody), { headers: { "Content-Type": "application/json" } });
  },
};
