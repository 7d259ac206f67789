import { env } from "cloudflare:workers";
import { archiveOldLeads } from "../../src/archive/archive-job";
import { decodeLeads, gunzip } from "../../src/archive/format";

// Shared by the archive's tests: leads made old enough for the archive, an archive run, and what
// the bucket and D1 hold for a lead.

export const DAY = 86_400_000;
/** Campaigns 601 and 602 keep their leads this many days in these tests (the demo leads are younger). */
const WINDOW_DAYS = 365;

/** Makes these leads older than the window: their creation moved back 400 days. */
export async function makeOld(ids: readonly number[]) {
  await env.DB.batch([
    env.DB.prepare(`UPDATE campaigns SET archive_after_days = ?1 WHERE id IN (601, 602)`).bind(WINDOW_DAYS),
    env.DB.prepare(`UPDATE leads SET created_ts = created_ts - ?2 WHERE id IN (SELECT value FROM json_each(?1))`).bind(JSON.stringify(ids), 400 * DAY),
  ]);
}

/** Makes these leads old, then runs the archive until it has nothing left to take. */
export async function archiveNow(ids: readonly number[]) {
  await makeOld(ids);
  while ((await archiveOldLeads(env, { maxBatches: 20 })).batches > 0);
}

/** Where a lead is: in D1, in the archive (its index row), or both (which must never be). */
export async function whereIs(id: number): Promise<"d1" | "archive" | "both" | "nowhere"> {
  const [hot, archived] = await env.DB.batch([
    env.DB.prepare(`SELECT id FROM leads WHERE id = ?1`).bind(id),
    env.DB.prepare(`SELECT id FROM archived_leads WHERE id = ?1`).bind(id),
  ]);
  const h = hot!.results.length > 0;
  const a = archived!.results.length > 0;
  return h && a ? "both" : h ? "d1" : a ? "archive" : "nowhere";
}

/** The archive files under a prefix, with their leads. */
export async function filesOf(prefix: string) {
  const listed = await env.ARCHIVE.list({ prefix });
  return Promise.all(listed.objects.map(async (o) => ({ key: o.key, leads: decodeLeads(await gunzip(await (await env.ARCHIVE.get(o.key))!.arrayBuffer())) })));
}

/** Every lead id in the archive's files (an id listed twice is a lead twice in the archive). */
export async function idsInFiles(): Promise<number[]> {
  return (await filesOf("leads/")).flatMap((f) => f.leads.map((l) => l.id));
}
