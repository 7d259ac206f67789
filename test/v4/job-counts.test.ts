import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { restoreArchivedLead } from "../../src/archive/restore";
import { QueryParams } from "../../src/hydra/query";
import { type Ctx, collectionStatements, type ResourceDef } from "../../src/hydra/resource";
import { resetLeadForReprocess, transitionLead } from "../../src/leads/client";
import { runStatements } from "../../src/processr/run";
import { TrailBuilder } from "../../src/processr/trail";
import { logResource } from "../../src/routes/v4/logs";
import { processrJobLeadResource } from "../../src/routes/v4/processr-job-leads";
import { archiveNow } from "../archive/helpers";
import { cleanData, insertLead, processLeads, rows } from "../leads/fixtures";
import { type Doc, get, tokens } from "./fixtures";

// A job's results and logs by job (the console's Processr screen and an integration's Logs tab):
// hydra:totalItems comes from processr_job_counts, kept by triggers as results, trails, log lines
// and leads change, and a page is found by walking the job's campaign's runs in id order, stopping
// after the page. Both must answer what the views give: counts equal to a recount for every job,
// publisher and kind after every kind of change, and the same pages in the same order.

let callers: Record<"admin" | "north" | "agency", Record<string, string>>;
const PUBLISHER = { admin: null, north: 12, agency: 13 } as const;
let jobs: number[];

/** processr_job_counts as the two collections count: results by status, log lines by type. */
const COUNTED = `SELECT job, pub, kind, sum(n) AS n FROM (
    SELECT campaign_processr_job_id AS job, publisher_id AS pub,
           CASE WHEN kind LIKE 'log:%' THEN 'logs:' || substr(kind, 5) WHEN kind = 'trail:other' THEN 'logs:processr' ELSE 'results:' || substr(kind, instr(kind, ':') + 1) END AS kind, n
      FROM processr_job_counts
    UNION ALL SELECT campaign_processr_job_id, publisher_id, 'logs:processr', n FROM processr_job_counts WHERE kind LIKE 'trail:%' AND kind <> 'trail:other'
  ) GROUP BY job, pub, kind HAVING sum(n) <> 0 ORDER BY job, pub, kind`;
/** The same from the views, every trail expanded, on the leads a caller can see (lines without a lead: publisher 0). */
const RECOUNT = `SELECT job, pub, kind, count(*) AS n FROM (
    SELECT r.campaign_processr_job_id AS job, l.publisher_id AS pub, 'results:' || r.status AS kind
      FROM processr_job_leads r JOIN leads l ON l.id = r.lead_id AND l.deleted_ts IS NULL
    UNION ALL SELECT g.campaign_processr_job_id, coalesce(l.publisher_id, 0), 'logs:' || g.type
      FROM logs g LEFT JOIN leads l ON l.id = g.lead_id
     WHERE g.campaign_processr_job_id IS NOT NULL AND (g.lead_id IS NULL OR l.deleted_ts IS NULL AND l.id IS NOT NULL)
  ) GROUP BY job, pub, kind ORDER BY job, pub, kind`;

/**
 * Trail lines outside the runs their row of processr_job_counts bounds (first_run, last_run), where
 * the walk would not look: each of a job's current results by status (its row trail:<status>),
 * each of its trail lines in the logs (one of its trail rows).
 */
const UNBOUNDED = `WITH lines AS (
    SELECT r.campaign_processr_job_id AS job, l.publisher_id AS pub, 'results:' || r.status AS k, (SELECT min(id) FROM log_lines WHERE id >= r.id) AS run
      FROM processr_job_leads r JOIN leads l ON l.id = r.lead_id AND l.deleted_ts IS NULL WHERE NOT EXISTS (SELECT 1 FROM job_results j WHERE j.id = r.id)
    UNION ALL SELECT g.campaign_processr_job_id, l.publisher_id, 'logs', (SELECT min(id) FROM log_lines WHERE id >= g.id)
      FROM logs g JOIN leads l ON l.id = g.lead_id AND l.deleted_ts IS NULL
     WHERE g.campaign_processr_job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM log_lines o WHERE o.id = g.id AND o.trail IS NULL)
  ), bounds AS (
    SELECT campaign_processr_job_id AS job, publisher_id AS pub, 'results:' || substr(kind, 7) AS k, first_run, last_run FROM processr_job_counts
     WHERE kind LIKE 'trail:%' AND kind <> 'trail:other' AND n > 0
    UNION ALL SELECT campaign_processr_job_id, publisher_id, 'logs', first_run, last_run FROM processr_job_counts WHERE kind LIKE 'trail:%' AND n > 0
  ) SELECT * FROM lines u WHERE NOT EXISTS (SELECT 1 FROM bounds b WHERE b.job = u.job AND b.pub = u.pub AND b.k = u.k AND u.run BETWEEN b.first_run AND b.last_run)`;

const expectRecount = async () => {
  expect(await rows(COUNTED)).toEqual(await rows(RECOUNT));
  expect(await rows(UNBOUNDED)).toEqual([]);
};

const visible = (who: keyof typeof PUBLISHER, alias: string) =>
  `(${alias}.lead_id IS NULL AND ${PUBLISHER[who] === null ? 1 : 0} OR EXISTS (SELECT 1 FROM leads l WHERE l.id = ${alias}.lead_id AND l.deleted_ts IS NULL${PUBLISHER[who] === null ? "" : ` AND l.publisher_id = ${PUBLISHER[who]}`}))`;

/** A collection's ids and total through the API, and the same from the view (the whole of it, sorted by SQLite). */
async function compare(who: keyof typeof PUBLISHER, path: string, view: string, where: string, order: "ASC" | "DESC", page: number, perPage: number) {
  const { status, body } = await get(`/api/v4/${path}&itemsPerPage=${perPage}&page=${page}`, callers[who]);
  expect(status, path).toBe(200);
  const scoped = `${where} AND ${visible(who, "v")}${who === "admin" || view !== "logs" ? "" : " AND v.type = 'processr'"}`;
  const expected = await rows<{ id: number }>(`SELECT id FROM ${view} v WHERE ${scoped} ORDER BY id ${order} LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`);
  const [{ n }] = await rows<{ n: number }>(`SELECT count(*) AS n FROM ${view} v WHERE ${scoped}`);
  expect((body["hydra:member"] as Doc[]).map((m) => m.id), `${who} ${path} page ${page}`).toEqual(expected.map((r) => r.id));
  expect(body["hydra:totalItems"], `${who} ${path}`).toBe(n);
  return n;
}

async function expectPages() {
  for (const job of jobs) {
    for (const who of ["admin", "north", "agency"] as const) {
      for (const [order, query] of [["ASC", ""], ["DESC", "&order[id]=desc"]] as const) {
        for (const status of [undefined, "passed", "failed"]) {
          const path = `processr-job-leads?campaignProcessrJob.id=${job}${status ? `&status=${status}` : ""}${query}`;
          const where = `v.campaign_processr_job_id = ${job}${status ? ` AND v.status = '${status}'` : ""}`;
          for (const page of [1, 2, 4]) await compare(who, path, "processr_job_leads", where, order, page, 3);
        }
        for (const type of [undefined, "processr", "provider"]) {
          const path = `logs?campaignProcessrJob.id=${job}${type ? `&type=${type}` : ""}${query}`;
          const where = `v.campaign_processr_job_id = ${job}${type ? ` AND v.type = '${type}'` : ""}`;
          for (const page of [1, 3]) await compare(who, path, "logs", where, order, page, 4);
        }
      }
    }
  }
}

beforeAll(async () => {
  callers = await tokens();
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
