import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { backfillDone, runBackfills } from "../../src/db/backfills";
import worker from "../../src/index";
import { restoreArchivedLead } from "../../src/archive/restore";
import { resetLeadForReprocess, transitionLead } from "../../src/leads/client";
import { losingAnswer, sqlOf } from "../integrations/helpers";
import { cleanData, insertLead, processLeads, rows } from "../leads/fixtures";
import { archiveNow, whereIs } from "../archive/helpers";
import { get, tokens } from "../v4/fixtures";
import { expectPages, expectRecount, PUBLISHER } from "../v4/job-counts-oracle";

// A database upgraded from before migration 0044 with leads, runs, job results and log lines: the
// migrations that count them (0044, 0047) and copy the leads' core fields (0046) only record what
// is left, and the cron does it a range of lead ids at a time. Before that is done the job pages
// must still be exact; after, the counts must equal a recount, whatever was written meanwhile,
// and a range whose answer was lost must not be counted twice.

let callers: Record<keyof typeof PUBLISHER, Record<string, string>>;
let jobs: number[];

const LATER = ["0044_processr_job_counts", "0045_processr_job_counts_batch", "0046_core_field_names", "0047_processr_job_run_bounds", "0049_backfills"];

/**
 * The database as one that stopped at migration 0043 with this data, then migrated to today: what
 * migrations 0044-0047 and 0049 made is dropped (0048 is not theirs and stays) and they are applied
 * again, from their files, on the data that is there.
 */
async function upgradeFrom0043() {
  const made = await rows<{ type: string; name: string }>(
    `SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'index') AND name LIKE 'processr_job_counts%'
       OR name IN ('job_results_job_idx', 'log_lines_campaign_trail_idx', 'log_lines_job_idx', 'processr_job_counts', 'backfills')
     ORDER BY type = 'table'`,
  );
  await env.DB.batch(made.map((m) => env.DB.prepare(`DROP ${m.type.toUpperCase()} ${m.name}`)));
  for (const name of LATER) {
    const m = env.TEST_MIGRATIONS.find((x) => x.name === `${name}.sql`);
    await env.DB.batch(m!.queries.map((q) => env.DB.prepare(q)));
  }
}

const COPIES = `SELECT id, first_name, last_name, telephone, postcode FROM leads WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id`;

beforeAll(async () => {
  callers = await tokens();
  jobs = (await rows<{ id: number }>(`SELECT id FROM campaign_processr_jobs WHERE campaign_id = 601 ORDER BY id`)).map((r) => r.id);
});

describe("the backfills that migrations 0044, 0046 and 0047 leave to the Worker", () => {
  it("keep the pages exact while pending, then count every line once, whatever happens meanwhile", async () => {
    // Before 0044: leads run twice, a provider call with and without a lead, an integration's result, a deleted lead.
    const kinds = [() => cleanData(), () => ({ firstName: "Only", email: cleanData().email! }), () => ({ ...cleanData(), lastName: "Test" })];
    const old = [];
    for (let i = 0; i < 18; i++) old.push(await insertLead({ data: kinds[i % 3]!(), publisherId: i % 2 ? 12 : 13 }));
    await processLeads(...old);
    await processLeads(...old);
    const [job, other] = [jobs[0]!, jobs[1]!];
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, message) VALUES ('provider', ?1, 601, ?2, 'call'), ('provider', NULL, 601, ?2, 'test call')`)
        .bind(old[0], job),
      env.DB.prepare(`INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, started_ts, finished_ts) VALUES (?1, ?2, 'passed', 'delivered', 1, 1)`)
        .bind(old[2], other),
    ]);
    await transitionLead(env, { leadId: old[3]!, to: "Deleted", source: "delete", author: "t" });
    // One such lead archived before the upgrade, one processed and due for the archive.
    const [archived, due] = [await insertLead({ data: { firstName: "Mary", surname: "Jackson", email: cleanData().email! } }),
      await insertLead({ data: { forename: "Katherine", surname: "Johnson", email: cleanData().email! } })];
    await processLeads(archived, due);
    await archiveNow([archived]);
    // Captured under names the core fields did not know then (surname, phone, zip): no copies.
    const named = [];
    const captured: Record<string, string>[] = [{ forename: "Grace", surname: "Hopper", phone: "+44 20 7946 0000" }, { firstName: "Hedy", surname: "Lamarr", zip: "90210" }];
    for (const data of captured) {
      named.push(await insertLead({ data: { ...data, email: cleanData().email! } }));
    }
    await upgradeFrom0043();
    const pending = await rows<{ name: string; next_id: number; last_id: number }>(`SELECT * FROM backfills ORDER BY name`);
    expect(pending).toEqual([
      { name: "lead_core_fields", next_id: 0, last_id: named[1] },
      { name: "processr_job_counts", next_id: 0, last_id: named[1] },
    ]);
    expect(await rows(`SELECT * FROM processr_job_counts WHERE n <> 0`)).toEqual([]);

    // Pending: a lead without its copies shows them from its values; the archive leaves it in D1 meanwhile.
    const shown = (await get(`/api/v4/leads/${due}`, callers.admin)).body;
    expect([shown.firstName, shown.lastName]).toEqual(["Katherine", "Johnson"]);
    await archiveNow([due]);
    expect(await whereIs(due)).toBe("d1");
    // No archive by the cron below either: the lead's copies are checked in D1.
    await env.DB.prepare(`UPDATE campaigns SET archive_after_days = NULL WHERE id IN (601, 602)`).run();

    // Pending: the pages do not read the counts, and are exact.
    await expectPages(callers, jobs);
    expect(backfillDone("jobCounts")).toBe(false);

    // Meanwhile: new leads run (counted as they are written), old ones reprocessed, run again,
    // deleted and given lines (left to their range), between ranges of three lead ids.
    const late = [];
    for (let i = 0; i < 4; i++) late.push(await insertLead({ publisherId: i % 2 ? 12 : 13 }));
    await processLeads(...late, old[4]!);
    let { ranges } = await runBackfills(env, { size: 3, maxRanges: 1 });
    expect(ranges).toBe(1);
    await resetLeadForReprocess(env, { leadId: old[0]!, author: "t" });
    await processLeads(old[0]!, old[10]!, late[0]!);
    await transitionLead(env, { leadId: old[12]!, to: "Deleted", source: "delete", author: "t" });
    await env.DB.prepare(`INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, message) VALUES ('provider', ?1, 601, ?2, 'call'), ('provider', ?3, 601, ?2, 'call')`)
      .bind(old[1], job, old[14]).run();

    // A range applied by D1 whose answer was lost: the next run goes on from where it got to.
    const { DB, lost } = losingAnswer((stmts) => sqlOf(stmts[0]!).startsWith("INSERT INTO processr_job_counts"));
    await expect(runBackfills({ DB }, { size: 3 })).rejects.toThrow(/connection lost/);
    expect(lost.count).toBe(1);
    while (await rows(`SELECT 1 FROM backfills WHERE name = 'processr_job_counts'`).then((r) => r.length > 0)) {
      ranges += (await runBackfills(env, { size: 3, maxRanges: 1 })).ranges;
      await resetLeadForReprocess(env, { leadId: old[16]!, author: "t" });
      await processLeads(old[16]!);
    }
    expect(ranges).toBeGreaterThan(5);
    await expectRecount();

    // The cron finishes what is left, then the pages read the counts again.
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled!(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await rows(`SELECT * FROM backfills`)).toEqual([]);
    await expectRecount();
    await expectPages(callers, jobs);
    expect(backfillDone("jobCounts")).toBe(true);

    // Restored, the lead archived before the upgrade gets the copies the backfill could not reach.
    expect(await restoreArchivedLead(env, archived)).toBe(true);
    await expectRecount();
    expect(await rows(COPIES, JSON.stringify([archived, due]))).toEqual([
      { id: archived, first_name: "Mary", last_name: "Jackson", telephone: null, postcode: null },
      { id: due, first_name: "Katherine", last_name: "Johnson", telephone: null, postcode: null },
    ]);
    expect(await rows(COPIES, JSON.stringify(named))).toEqual([
      { id: named[0], first_name: "Grace", last_name: "Hopper", telephone: "+44 20 7946 0000", postcode: null },
      { id: named[1], first_name: "Hedy", last_name: "Lamarr", telephone: null, postcode: "90210" },
    ]);
  }, 300_000);
});
