import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { restoreArchivedLead } from "../../src/archive/restore";
import { QueryParams } from "../../src/hydra/query";
import { readBackfills } from "../../src/db/backfills";
import { type Ctx, collectionStatements, type ResourceDef } from "../../src/hydra/resource";
import { resetLeadForReprocess, transitionLead } from "../../src/leads/client";
import { runStatements } from "../../src/processr/run";
import { TrailBuilder } from "../../src/processr/trail";
import { logResource } from "../../src/routes/v4/logs";
import { processrJobLeadResource } from "../../src/routes/v4/processr-job-leads";
import { archiveNow } from "../archive/helpers";
import { cleanData, insertLead, processLeads, rows } from "../leads/fixtures";
import { type Doc, get, tokens } from "./fixtures";
import { expectPages as pagesOf, expectRecount, PUBLISHER } from "./job-counts-oracle";

// A job's results and logs by job (the console's Processr screen and an integration's Logs tab):
// hydra:totalItems comes from processr_job_counts, kept by triggers as results, trails, log lines
// and leads change, and a page is found by walking the job's campaign's runs in id order, stopping
// after the page. Both must answer what the views give: counts equal to a recount for every job,
// publisher and kind after every kind of change, and the same pages in the same order.

let callers: Record<keyof typeof PUBLISHER, Record<string, string>>;
let jobs: number[];
const expectPages = () => pagesOf(callers, jobs);

beforeAll(async () => {
  callers = await tokens();
  // The walk is read once the counts are known whole (no backfill left), as the routes' middleware reads it.
  await readBackfills(env.DB);
  jobs = (await rows<{ id: number }>(`SELECT id FROM campaign_processr_jobs WHERE campaign_id = 601 ORDER BY id`)).map((r) => r.id);
});

describe("a job's counts and pages", () => {
  it("equal a recount and the views' pages after a burst, reprocessing, deletes, an archive and a restore", async () => {
    await expectRecount();
    const kinds = [() => cleanData(), () => ({ firstName: "Only", email: cleanData().email! }), () => ({ ...cleanData(), lastName: "Test" })];
    const leads = await Promise.all(Array.from({ length: 24 }, (_, i) => insertLead({ data: kinds[i % 3]!(), publisherId: i % 2 ? 12 : 13 })));
    const chunks = [0, 1, 2].map((k) => leads.filter((_, i) => i % 3 === k));
    // Every lead delivered twice (at-least-once), batches at once.
    await Promise.all([...chunks, ...chunks].map((c) => processLeads(...c)));
    await expectRecount();

    // Provider calls of a job with and without a lead, a delivery's result, and a result that changes.
    const [job, other] = [jobs[0]!, jobs[1]!];
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, message) VALUES ('provider', ?1, 601, ?2, 'call'), ('provider', NULL, 601, ?2, 'test call'), ('processr', ?3, 601, ?2, 'dead letter')`)
        .bind(leads[0], job, leads[1]),
      env.DB.prepare(`INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, started_ts, finished_ts) VALUES (?1, ?2, 'passed', 'delivered', 1, 1), (?3, ?2, 'failed', 'refused', 1, 1)`)
        .bind(leads[2], other, leads[3]),
    ]);
    await env.DB.prepare(`UPDATE job_results SET status = 'failed' WHERE lead_id = ?1 AND campaign_processr_job_id = ?2`).bind(leads[2], other).run();
    await env.DB.prepare(`UPDATE log_lines SET campaign_processr_job_id = ?1 WHERE message = 'test call'`).bind(other).run();
    await expectRecount();

    // Reprocessing (results cleared, then a new run), deletes, a restore from the deleted state.
    await Promise.all(leads.slice(4, 10).map((id) => resetLeadForReprocess(env, { leadId: id, author: "t" })));
    await expectRecount();
    await processLeads(...leads.slice(4, 8));
    await Promise.all(leads.slice(10, 14).map((id) => transitionLead(env, { leadId: id, to: "Deleted", source: "delete", author: "t" })));
    await env.DB.prepare(`UPDATE leads SET deleted_ts = NULL WHERE id = ?1`).bind(leads[10]).run();
    await env.DB.prepare(`UPDATE leads SET publisher_id = 13 WHERE id = ?1`).bind(leads[15]).run();
    await expectRecount();

    // One queue batch's trails, counted by the batch (trailsStatements): a lead run twice in it, a
    // lead with runs before it (one cleared by a reprocess), a deleted lead, a run with a result in
    // full form; split over two inserts by a run with a statement of its own.
    const run = (leadId: number, statuses: ("passed" | "failed" | "not_run")[], statements: D1PreparedStatement[] = []) => {
      const s = Date.now();
      const trail = new TrailBuilder(s).message("info", s, `Processr run started: ${statuses.length} QA job(s).`);
      statuses.forEach((status, i) => trail.job({
        jobId: jobs[i]!, status, score: i === 2 && status === "passed" ? 3 : status === "passed" ? 10 : 0, maxScore: 10, hardfail: false,
        level: status === "failed" ? "warning" : "info", label: "Job", message: `batch ${status}`, detail: null, startedTs: s, finishedTs: s,
      }));
      return { kind: "write" as const, trail: trail.row({ id: leadId, campaignId: 601 }), statements, transition: null! };
    };
    const own = env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note, created_ts) VALUES (?1, 't', 'own statement', 1)`).bind(leads[6]);
    await env.DB.batch(runStatements(env.DB, [
      run(leads[20]!, ["passed", "failed"]), run(leads[5]!, ["failed", "passed", "passed"]), run(leads[20]!, ["not_run", "passed", "failed"]),
      run(leads[11]!, ["passed"]), run(leads[6]!, ["failed"], [own]), run(leads[7]!, ["passed", "not_run"]), run(leads[6]!, ["passed", "passed"]),
    ]));
    expect(await rows(`SELECT n FROM processr_job_counts WHERE campaign_processr_job_id = 0`)).toEqual([{ n: 0 }]);
    await expectRecount();

    // A run's row deleted (the previous run's results count again), a job result deleted, a line of its own deleted.
    await env.DB.prepare(`DELETE FROM log_lines WHERE id = (SELECT max(id) FROM log_lines WHERE lead_id = ?1 AND trail IS NOT NULL)`).bind(leads[4]).run();
    await env.DB.prepare(`DELETE FROM processr_job_leads WHERE lead_id = ?1 AND campaign_processr_job_id = ?2`).bind(leads[3], other).run();
    await env.DB.prepare(`DELETE FROM log_lines WHERE message = 'dead letter'`).run();
    await expectRecount();
    await expectPages();

    // Archived leads leave the counts; restored to another publisher, they count there.
    await archiveNow(leads.slice(16, 20));
    await expectRecount();
    // Leads are never inserted with lines already there (no count on a lead's insert): a line or
    // result for an archived lead, late, is refused (a write restores the lead first), and a
    // restore puts the lead's row back before its lines.
    for (const late of [
      env.DB.prepare(`INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, message) VALUES ('provider', ?1, 601, ?2, 'late call')`).bind(leads[18], job),
      env.DB.prepare(`INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, started_ts, finished_ts) VALUES (?1, ?2, 'passed', 'late', 1, 1)`).bind(leads[18], other),
    ]) await expect(late.run()).rejects.toThrow(/FOREIGN KEY/);
    await expectRecount();
    expect(await restoreArchivedLead(env, leads[16]!, { publisherId: 13 })).toBe(true);
    expect(await restoreArchivedLead(env, leads[17]!)).toBe(true);
    await expectRecount();
    await expectPages();
  }, 300_000);

  it("walks the job's campaign's runs and rows of their own by index, and counts from processr_job_counts", async () => {
    const base = { env, db: drizzle(env.DB), now: Date.now() };
    const admin = { ...base, principal: { kind: "user" }, isAdmin: true, publisherId: null } as unknown as Ctx;
    const publisher = { ...base, principal: { kind: "user" }, isAdmin: false, publisherId: 12 } as unknown as Ctx;
    const plans = async (def: ResourceDef, query: string, ctx: Ctx) => {
      const { statements } = collectionStatements(def, ctx, new QueryParams(`http://x/?${query}`));
      return Promise.all(statements.slice(0, 2).map(async (s) =>
        (await env.DB.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).bind(...s.params).all<{ detail: string }>()).results.map((r) => r.detail).join("\n")));
    };
    for (const ctx of [admin, publisher]) {
      for (const [def, query, own] of [
        [processrJobLeadResource, "campaignProcessrJob.id=9001&itemsPerPage=1", "job_results_job_idx"],
        [processrJobLeadResource, "campaignProcessrJob.id=9001&status=failed&order[id]=desc&page=3", "job_results_job_idx"],
        [logResource, "campaignProcessrJob.id=9001&order[id]=desc&itemsPerPage=20&page=2", "log_lines_job_idx"],
      ] as const) {
        const [count, page] = await plans(def, query, ctx);
        expect(count).toMatch(/processr_job_counts/);
        expect(count).not.toMatch(/log_lines|leads/);
        // Between the first and the last run that can hold the job's lines.
        expect(page).toMatch(/SEARCH r USING INDEX log_lines_campaign_trail_idx \(campaign_id=\? AND id>\? AND id<\?\)/);
        expect(page).toMatch(new RegExp(`USING INDEX ${own}`));
        // The first campaign's runs come in index order: no sort of every run of the campaign.
        expect(page).not.toMatch(/leads_campaign_idx|SCAN r\b|SCAN o\b|SCAN j\b/);
      }
    }
    // The console's provider Logs tab: the trails are not read at all.
    const [, provider] = await plans(logResource, "type=provider&campaignProcessrJob.id=9001&order[id]=desc&itemsPerPage=20&page=1", admin);
    expect(provider).toMatch(/USING INDEX log_lines_job_idx/);
  });
});
