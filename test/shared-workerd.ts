import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";

// The "jobs" project (vitest.config.ts) runs its files one after another in the same workerd, so
// each file starts by putting it back to what a workerd of its own would have: fresh modules, and
// an empty D1 (test/setup.ts, next, migrates and seeds it). Durable Objects and buckets are not
// reset: cloudflare:test's reset() misses an object evicted after ~10 s idle, which keeps its
// storage. So a file that leaves either behind makes the next one fail here, and belongs in the
// "workers" project, as does one that sends queue messages (their consumer would run in a later file).

vi.resetModules();

const left: string[] = [];
const objectCounts = {
  LEAD_OBJECT: (await listDurableObjectIds(env.LEAD_OBJECT)).length,
  RATE_LIMITER: (await listDurableObjectIds(env.RATE_LIMITER)).length,
  OUTBOUND_LIMITER: (await listDurableObjectIds(env.OUTBOUND_LIMITER)).length,
};
for (const [name, n] of Object.entries(objectCounts)) if (n > 0) left.push(`${n} ${name} object(s)`);
for (const [name, bucket] of [["FILES", env.FILES], ["ARCHIVE", env.ARCHIVE]] as const) {
  if ((await bucket.list({ limit: 1 })).objects.length > 0) left.push(`objects in ${name}`);
}
if (left.length > 0) {
  throw new Error(`a previous file in this shared workerd left ${left.join(", ")}: move the files that use them from the "jobs" project to "workers" (vitest.config.ts)`);
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
