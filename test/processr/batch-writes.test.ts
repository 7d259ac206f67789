import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { subscribeToLead } from "../../src/leads/client";
import { runStatements } from "../../src/processr/run";
import { TrailBuilder } from "../../src/processr/trail";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { CAMPAIGN, insertLead, leadRow, processLeads, rows } from "../leads/fixtures";

// The writes of a queue batch's runs: the trails of consecutive runs in one statement (runStatements,
// trailsStatement) with the rows and ids that one insert per run gives, and no read of pending sync
// callbacks for leads whose outcome queued none.

const runRow = async (leadId: number) =>
  (await rows<{ id: number; trail: string; created_ts: number }>(
    `SELECT id, trail, created_ts FROM log_lines WHERE lead_id = ?1 AND trail IS NOT NULL`, leadId,
  ))[0]!;

/** A run's trail of `n` job lines, each message `text`. */
function plan(leadId: number, n: number, text: string, statements: D1PreparedStatement[] = []) {
  const s = Date.now();
  const trail = new TrailBuilder(s).message("info", s, `Processr run started: ${n} QA job(s).`);
  for (let i = 0; i < n; i++) {
    trail.job({ jobId: 9001 + i, status: "passed", score: 1, maxScore: 1, hardfail: false, level: "info", label: "Job", message: text, detail: null, startedTs: s, finishedTs: s });
  }
  return { kind: "write" as const, trail: trail.row({ id: leadId, campaignId: CAMPAIGN }), statements, transition: null! };
}

afterEach(() => vi.restoreAllMocks());

describe("a queue batch's trails", () => {
  it("are inserted together, each run's row and ids as when inserted alone: one block of ids per run, in order", async () => {
    const ids = await Promise.all([1, 2, 3].map(() => insertLead()));
    const alone = await insertLead();
    await processLeads(alone);
    const prepared = vi.spyOn(env.DB, "prepare");
    expect((await processLeads(...ids)).retryMessages).toEqual([]);
    expect(prepared.mock.calls.filter(([sql]) => sql.includes("INSERT INTO log_lines"))).toHaveLength(1);

    const runs = await Promise.all(ids.map(runRow));
    const before = await runRow(alone);
    // Blocks one after the other: each run's lines end at its row's id and start after the previous run's.
    let end = before.id;
    for (const run of runs) {
      const lines = (JSON.parse(run.trail) as unknown[]).length;
      expect(run.id - lines).toBe(end);
      end = run.id;
    }
    // The same trail as the run processed alone (times aside), read back as the same rows.
    const shape = (trail: string) => JSON.stringify(JSON.parse(trail, (_k, v) => (typeof v === "number" && v < 1000 ? 0 : v)));
    for (const run of runs) expect(shape(run.trail).replace(/ada\.[^"]+/g, "")).toBe(shape(before.trail).replace(/ada\.[^"]+/g, ""));
    for (const [i, id] of ids.entries()) {
      const results = await rows<{ id: number; lead_id: number }>(`SELECT id, lead_id FROM processr_job_leads WHERE lead_id = ?1 ORDER BY id`, id);
      expect(results.map((r) => r.id)).toEqual([1, 2, 3, 4, 5].map((n) => runs[i]!.id - 6 + n));
      const logs = await rows<{ id: number }>(`SELECT id FROM logs WHERE lead_id = ?1 AND type = 'processr' ORDER BY id`, id);
      expect(logs.map((l) => l.id)).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => runs[i]!.id - 6 + n));
      expect(await leadRow(id)).toMatchObject({ processr_status: 1000 });
    }
  });

  it("a run with statements of its own keeps its place: the trails before it, its statements, then the trails after it", async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => insertLead()));
    const note = env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note, created_ts) VALUES (?1, 'processr', 'own statement', ?2)`).bind(b, Date.now());
    const statements = runStatements(env.DB, [plan(a!, 2, "a"), plan(b!, 1, "b", [note]), plan(c!, 3, "c")]);
    // Each insert of trails comes with its counts' two statements (trailsStatements).
    expect(statements).toHaveLength(3 + 1 + 3);
    await env.DB.batch(statements);
    const [ra, rb, rc] = await Promise.all([a!, b!, c!].map(runRow));
    expect(rb!.id - 2).toBe(ra!.id);
    expect(rc!.id - 4).toBeGreaterThanOrEqual(rb!.id);
    expect(await rows(`SELECT note FROM lead_notes WHERE lead_id = ?1`, b)).toEqual([{ note: "own statement" }]);
  });

  it("are counted from the batch's own runs: the counts' upsert reads as many rows however many log lines there are", async () => {
    const read = async (others: number) => {
      const [a, b, c, other] = await Promise.all([1, 2, 3, 4].map(() => insertLead()));
      // Log lines of a lead outside the batch.
      await env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO log_lines (type, lead_id, campaign_id, level, message, created_ts) SELECT 'api', ?2, ?3, 'info', 'other', 0 FROM n`,
      ).bind(others, other, CAMPAIGN).run();
      const statements = runStatements(env.DB, [plan(a!, 2, "a"), plan(b!, 1, "b"), plan(c!, 3, "c")]);
      const results = await env.DB.batch(statements);
      return results[2]!.meta.rows_read;
    };
    // The first batch creates the counts' rows that the next two update.
    await read(10);
    const few = await read(10);
    expect(await read(2000)).toBe(few);
  });

  it("splits trails too long for one bound value over several statements", async () => {
    const [a, b] = await Promise.all([1, 2].map(() => insertLead()));
    const long = "x".repeat(300 * 1024);
    const statements = runStatements(env.DB, [plan(a!, 1, long), plan(b!, 1, long)]);
    expect(statements).toHaveLength(2 * 3);
    await env.DB.batch(statements);
    const [ra, rb] = await Promise.all([a!, b!].map(runRow));
    expect(rb!.id - 2).toBe(ra!.id);
    expect(JSON.stringify(JSON.parse(ra!.trail))).toContain(long);
  });
});

describe("a queue batch's sync callbacks", () => {
  const pendingReads = (prepared: { mock: { calls: [string][] } }) => prepared.mock.calls.filter(([sql]) => sql.includes("FROM webhook_deliveries d"));

  it("are not looked for when no lead of the batch has a subscription", async () => {
    const ids = await Promise.all([1, 2].map(() => insertLead()));
    const prepared = vi.spyOn(env.DB, "prepare");
    expect((await processLeads(...ids)).retryMessages).toEqual([]);
    expect(pendingReads(prepared)).toEqual([]);
  });

  it("are looked for, and sent, for a lead with a subscription", async () => {
    const id = await insertLead();
    const cp = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = ?1 AND publisher_id = 12`).bind(CAMPAIGN).first<{ id: number }>();
    const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cp!.id, callbackUrl: "https://receiver.example/api/webhook/sync", secret: newWebhookSecret() });
    expect(sub.ok).toBe(true);
    const sent = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("ok", { status: 200 }));
    const prepared = vi.spyOn(env.DB, "prepare");
    expect((await processLeads(id)).retryMessages).toEqual([]);
    expect(pendingReads(prepared)).toHaveLength(1);
    expect(sent.mock.calls.map(([url]) => String(url))).toContain("https://receiver.example/api/webhook/sync");
    expect(await rows(`SELECT status FROM webhook_deliveries WHERE lead_id = ?1`, id)).toEqual([{ status: "delivered" }]);
  });
});
