import { listDurableObjectIds, reset, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";

// The "workers" project (vitest.config.ts) runs its files one after another in the same workerd, so
// each file starts by putting it back to what a workerd of its own would have: fresh modules, no
// Durable Object or bucket object, and an empty D1 (test/setup.ts, next, migrates and seeds it).
// Queue messages a file leaves are consumed in the next one, against its D1: Processr messages are
// idempotent (delivery is at-least-once), so such a message finds its lead gone or done, or does
// what the lead's own message would.

// Durable Objects: reset() deletes the storage of the objects in memory only. An object idle for 10 s
// is evicted and keeps its storage on disk (a rate limiter's counts would reach the next file), so
// after a file that ran longer than half that, every object on disk is woken first. Their files
// stay listed, emptied, so that list is every object this workerd ever had: waking them all takes
// 0.5 s and more, so not after every file. A file that evicts objects itself belongs in
// "workers-isolated".
const RESET_AT = Symbol.for("leadflare.test.durableObjectsResetAt");
const store = globalThis as { [RESET_AT]?: number };
if (Date.now() - (store[RESET_AT] ?? 0) >= 5_000) {
  const wake = async <T extends Rpc.DurableObjectBranded>(namespace: DurableObjectNamespace<T>) => {
    const ids = await listDurableObjectIds(namespace);
    await Promise.all(ids.map((id) => runInDurableObject(namespace.get(id), () => {})));
  };
  await Promise.all([wake(env.LEAD_OBJECT), wake(env.RATE_LIMITER), wake(env.OUTBOUND_LIMITER)]);
}
await reset();
store[RESET_AT] = Date.now();
// Only now: an object of the previous file woken with modules loaded anew is refused by the
// vitest plugin ("src/index.ts changed, invalidating this Durable Object").
vi.resetModules();

for (const bucket of [env.FILES, env.ARCHIVE]) {
  for (let cursor: string | undefined, page: R2Objects; ; cursor = page.cursor) {
    page = await bucket.list({ cursor });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((o) => o.key));
    if (!page.truncated) break;
  }
}

// Drop every table, view and trigger (D1's own _cf_ tables stay) in one batch; foreign keys are
// checked at its end, when nothing references anything any more.
const objects = await env.DB.prepare(
  "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger', 'table') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type = 'table'",
).all<{ type: string; name: string }>();
if (objects.results.length > 0) {
  const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
  await env.DB.batch([
    env.DB.prepare("PRAGMA defer_foreign_keys = on"),
    ...objects.results.map((o) => env.DB.prepare(`DROP ${o.type.toUpperCase()} IF EXISTS ${quoted(o.name)}`)),
  ]);
}
