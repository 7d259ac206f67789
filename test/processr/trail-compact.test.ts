import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TrailBuilder, trailJobResults, trailsStatements } from "../../src/processr/trail";
import { TRAIL_TEXTS } from "../../src/processr/trail-texts";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { insertLead, processLeads, rows } from "../leads/fixtures";

// Compact trails (src/processr/trail.ts): labels, fixed texts and the outcome line are not stored
// but rebuilt by the views, and /api/v4/logs and /api/v4/processr-job-leads answer exactly what
// they answered when the trail held every word.

let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await loginAs(DEMO.admin));
});

type Member = Record<string, unknown> & { "@id": string };
const list = async (path: string) => {
  const res = await call(path, { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { "hydra:member": Member[] })["hydra:member"];
};
const trailOf = async (leadId: number) =>
  (await rows<{ id: number; trail: string; created_ts: number }>(
    `SELECT id, trail, created_ts FROM log_lines WHERE lead_id = ?1 AND trail IS NOT NULL ORDER BY id DESC LIMIT 1`, leadId,
  ))[0]!;
const iso = (ts: number) => new Date(ts).toISOString().replace(/\.\d{3}Z$/, "+00:00");

// Campaign 601's jobs in the demo data.
const JOBS = [
  [9001, "Required Value Check", 40, true],
  [9002, "Duplicate Email Check", 30, false],
  [9003, "Test Data Check", 15, false],
  [9004, "Repeated Character Check", 10, false],
  [9005, "First and Last Name Check", 5, false],
] as const;

describe("compact Processr trail", () => {
  it("trail_texts holds the texts of src/processr/trail-texts.ts under the same ids, with no % but %s", async () => {
    const stored = await rows<{ id: number; text: string }>(`SELECT id, text FROM trail_texts ORDER BY id`);
    expect(stored).toEqual(TRAIL_TEXTS.map((text, i) => ({ id: i + 1, text })));
    for (const text of TRAIL_TEXTS) expect(text.replaceAll("%s", "")).not.toContain("%");
  });

  it("a processed lead's logs and job results are what the documents show, word for word, from a trail without labels or fixed texts", async () => {
    const email = `compact.${Date.now()}@example.org`;
    const id = await insertLead({ data: { firstName: "Test", lastName: "Test", email } });
    await processLeads(id);

    const run = await trailOf(id);
    // No label and no fixed text is stored; the captured value the messages quote is.
    expect(run.trail).not.toMatch(/Check|passed|failed|Processr/);
    expect(run.trail).toContain(email);
    // The run's lines alone, times after the row's created_ts: the start line is its number of
    // jobs, the outcome line its flag (its scores are what the job lines add up to).
    const lines = JSON.parse(run.trail) as unknown[][];
    const trail = { s: run.created_ts, l: lines };
    expect(lines[0]).toBe(5);
    expect(lines[6]).toEqual(["o", expect.any(Number), "Caution"]);
    const first = run.id - trail.l.length + 1;

    const jobMessages = [
      ["passed", "All 3 required fields have a value", null],
      ["passed", "Passed duplicate check", `Email "${email}" is unique in this campaign`],
      ["failed", `"firstName" contains the word "test": "Test"`, null],
      ["passed", "No character repeated 3 or more times in a row", null],
      ["failed", `"firstName" and "lastName" are the same: "Test"`, null],
    ] as const;
    const results = await list(`/api/v4/processr-job-leads?lead.id=${id}&order[id]=asc`);
    expect(results).toEqual(
      JOBS.map(([job, , score], i) => {
        const [status, message, detail] = jobMessages[i]!;
        const line = trail.l[i + 1]!;
        return {
          "@id": `/api/v4/processr-job-leads/${first + 1 + i}`,
          "@type": "ProcessrJobLead",
          id: first + 1 + i,
          lead: `/api/v4/leads/${id}`,
          campaignProcessrJob: `/api/v4/campaign-processr-jobs/${job}`,
          status,
          message,
          detail,
          score: status === "passed" ? score : 0,
          startedTs: iso(trail.s + (line[4] as number)),
          finishedTs: iso(trail.s + (line[5] as number)),
        };
      }),
    );

    const logs = await list(`/api/v4/logs?lead.id=${id}&order[id]=asc`);
    const line = (i: number, campaignProcessrJob: number | null, level: string, message: string, context: unknown, at: number) => ({
      "@id": `/api/v4/logs/${first + i}`,
      "@type": "Log",
      id: first + i,
      type: "processr",
      lead: `/api/v4/leads/${id}`,
      campaign: "/api/v4/campaigns/601",
      campaignProcessrJob: campaignProcessrJob === null ? null : `/api/v4/campaign-processr-jobs/${campaignProcessrJob}`,
      level,
      message,
      context,
      result: null,
      createdTs: iso(trail.s + at),
    });
    const outcome = trail.l[6]!;
    expect(logs).toEqual([
      line(0, null, "info", "Processr run started: 5 QA job(s).", null, 0),
      ...JOBS.map(([job, label, score, hardfail], i) => {
        const [status, message] = jobMessages[i]!;
        const [, , , , started, finished] = trail.l[i + 1] as number[];
        return line(i + 1, job, status === "passed" ? "info" : "warning", `${label}: ${status} — ${message}`,
          { status, score: status === "passed" ? score : 0, maxScore: score, hardfail, durationMs: finished! - started! }, finished!);
      }),
      line(6, null, "info", "Processr outcome: Caution. Score 80/100; failed: Test Data Check, First and Last Name Check.",
        { flag: "Caution", score: 80, maxScore: 100, hardfail: false }, outcome[1] as number),
    ]);
  });

  it("what goes into a trail comes out of the views unchanged, in compact form where it fits and in full where it does not", async () => {
    const id = await insertLead();
    const s = Date.now();
    const jobs = [
      // Fixed texts and texts with values (quotes, %, unicode, an empty value).
      { jobId: 9001, status: "passed", level: "info", message: "All 12 required fields have a value", detail: null },
      { jobId: 9002, status: "failed", level: "warning", message: "Failed duplicate check", detail: `Email "a%sb@x.org" is a duplicate of 2 earlier Valid or unflagged leads in this campaign` },
      { jobId: 9003, status: "failed", level: "error", message: "Invalid job configuration: fields: 100% wrong ☃", detail: null },
      { jobId: 9004, status: "not_run", level: "info", message: "Not run: the hardfail job \"Required Value Check\" failed.", detail: "" },
      // Not a status and level pair of the compact form: stored in full.
      { jobId: 9005, status: "passed", level: "warning", message: " has a value", detail: null },
    ] as const;
    const trail = new TrailBuilder(s).message("info", s, "Processr run started: 5 QA job(s).").message("warning", s + 1, "Value transform %d: ☃", { n: 1 });
    jobs.forEach((j, i) => {
      const [, label, score, hardfail] = JOBS[i]!;
      trail.job({ ...j, score: j.status === "passed" ? score : 0, maxScore: score, hardfail, label, startedTs: s + i, finishedTs: s + i + 2 });
    });
    // An outcome line whose message is not the one the views would rebuild stays a message line.
    trail.message("info", s + 9, "Processr outcome: Invalid. Score 40/95; failed: something else.", { flag: "Invalid", score: 40, maxScore: 95, hardfail: false });
    trail.message("info", s + 9, "Processr outcome: Invalid. Score 40/95; failed: Duplicate Email Check, Test Data Check.", { flag: "Invalid", score: 40, maxScore: 95, hardfail: false });
    await env.DB.batch(trailsStatements(env.DB, [trail.row({ id, campaignId: 601 })]));

    const stored = JSON.parse((await trailOf(id)).trail) as (number | unknown[])[];
    expect(stored.map((l) => (typeof l === "number" ? "start" : typeof l[0] === "number" ? "compact" : l[0]))).toEqual(["start", "m", "compact", "compact", "compact", "compact", "j", "m", "o"]);
    // Text values of up to five digits are numbers; an outcome whose scores are not what its job
    // lines add up to (45/90) keeps them.
    expect(stored[2]).toEqual([9001, 0, 40, 1, 0, 2, [5, 12]]);
    expect(stored[8]).toEqual(["o", 9, "Invalid", 40, 95, 0]);

    const logs = await rows<Record<string, unknown>>(
      `SELECT campaign_processr_job_id AS job, level, message, context, created_ts FROM logs WHERE lead_id = ?1 ORDER BY id`, id);
    expect(logs).toEqual([
      { job: null, level: "info", message: "Processr run started: 5 QA job(s).", context: null, created_ts: s },
      { job: null, level: "warning", message: "Value transform %d: ☃", context: `{"n":1}`, created_ts: s + 1 },
      ...jobs.map((j, i) => {
        const [, label, score, hardfail] = JOBS[i]!;
        return {
          job: j.jobId, level: j.level, message: `${label}: ${j.status} — ${j.message}`, created_ts: s + i + 2,
          context: JSON.stringify({ status: j.status, score: j.status === "passed" ? score : 0, maxScore: score, hardfail, durationMs: 2 }),
        };
      }),
      { job: null, level: "info", message: "Processr outcome: Invalid. Score 40/95; failed: something else.", context: `{"flag":"Invalid","score":40,"maxScore":95,"hardfail":false}`, created_ts: s + 9 },
      { job: null, level: "info", message: "Processr outcome: Invalid. Score 40/95; failed: Duplicate Email Check, Test Data Check.", context: `{"flag":"Invalid","score":40,"maxScore":95,"hardfail":false}`, created_ts: s + 9 },
    ]);
    const results = await rows<Record<string, unknown>>(
      `SELECT campaign_processr_job_id AS job, status, message, detail, score, started_ts, finished_ts FROM processr_job_leads WHERE lead_id = ?1 ORDER BY id`, id);
    expect(results).toEqual(jobs.map((j, i) => ({
      job: j.jobId, status: j.status, message: j.message, detail: j.detail, score: j.status === "passed" ? JOBS[i]![2] : 0, started_ts: s + i, finished_ts: s + i + 2,
    })));
    // The archive decodes a trail outside D1 the same way.
    const run = await trailOf(id);
    expect(trailJobResults(run.id, run.created_ts, JSON.parse(run.trail)).map(({ id: _, jobId, startedTs, finishedTs, ...r }) => ({
      job: jobId, ...r, started_ts: startedTs, finished_ts: finishedTs,
    }))).toEqual(results);
  });

  it("an outcome line is stored without its scores only when they are its job lines' sums, a hard fail included", async () => {
    const id = await insertLead();
    const s = Date.now();
    const trail = new TrailBuilder(s).message("info", s, "Processr run started: 4 QA job(s).");
    const jobs = [
      { jobId: 9001, status: "failed", level: "warning", message: "Required value missing: email", detail: null },
      { jobId: 9002, status: "passed", level: "info", message: "Passed duplicate check", detail: "Email \"12345\" is unique in this campaign" },
      { jobId: 9003, status: "not_run", level: "info", message: "Not run: the hardfail job \"Required Value Check\" failed.", detail: null },
      // In full (a passed job at warning level): added up all the same.
      { jobId: 9004, status: "passed", level: "warning", message: "Odd but passed", detail: null },
    ] as const;
    jobs.forEach((j, i) => {
      const [, label, score, hardfail] = JOBS[i]!;
      trail.job({ ...j, score: j.status === "passed" ? score : 0, maxScore: score, hardfail, label, startedTs: s + i, finishedTs: s + i + 1 });
    });
    const outcome = { flag: "Invalid", score: 40, maxScore: 80, hardfail: true };
    const message = "Processr outcome: Invalid. Score 40/80, hard fail; failed: Required Value Check.";
    trail.message("info", s + 7, message, outcome);
    await env.DB.batch(trailsStatements(env.DB, [trail.row({ id, campaignId: 601 })]));

    const stored = JSON.parse((await trailOf(id)).trail) as unknown[];
    expect(stored[0]).toBe(4);
    expect(stored[2]).toEqual([9002, 0, 30, 0, 1, 2, 7, [9, "\"12345\""]]);
    expect(stored.at(-1)).toEqual(["o", 7, "Invalid"]);
    const logs = await rows<Record<string, unknown>>(`SELECT level, message, context, created_ts FROM logs WHERE lead_id = ?1 ORDER BY id`, id);
    expect(logs[0]).toEqual({ level: "info", message: "Processr run started: 4 QA job(s).", context: null, created_ts: s });
    expect(logs.at(-1)).toEqual({ level: "info", message, context: JSON.stringify(outcome), created_ts: s + 7 });
    expect(await rows(`SELECT detail FROM processr_job_leads WHERE lead_id = ?1 AND campaign_processr_job_id = 9002`, id)).toEqual([
      { detail: "Email \"12345\" is unique in this campaign" },
    ]);
  });

  it("a trail of the first compact form ({s, l}, full start and outcome lines, values as strings) reads as it did", async () => {
    const id = await insertLead();
    const s = 1_764_468_000_123;
    const trail = {
      s,
      l: [
        ["m", "info", 0, [1, "5"]],
        [9001, 0, 40, 1, 0, 0, [5, "3"]],
        [9002, 0, 30, 0, 0, 1, 7, [9, "\"ada.lovelace@example.org\""]],
        [9003, 0, 15, 0, 1, 1, 13],
        [9004, 0, 10, 0, 1, 1, [14, "3"]],
        [9005, 0, 5, 0, 1, 1, 15],
        ["o", 1, "Valid", 100, 100, 0],
      ],
    };
    // Its row's created_ts is not the run's start: the trail's s is.
    await env.DB.prepare(
      `INSERT INTO log_lines (id, type, lead_id, campaign_id, level, message, created_ts, trail)
       VALUES ((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines') + 7, 'processr', ?1, 601, 'info', '', ?2, ?3)`,
    ).bind(id, s + 5_000, JSON.stringify(trail)).run();
    const job = (label: string, message: string, score: number, hardfail: boolean, at: number, duration: number) =>
      ({ level: "info", message: `${label}: passed — ${message}`, context: JSON.stringify({ status: "passed", score, maxScore: score, hardfail, durationMs: duration }), created_ts: s + at });
    expect(await rows(`SELECT level, message, context, created_ts FROM logs WHERE lead_id = ?1 ORDER BY id`, id)).toEqual([
      { level: "info", message: "Processr run started: 5 QA job(s).", context: null, created_ts: s },
      job("Required Value Check", "All 3 required fields have a value", 40, true, 0, 0),
      job("Duplicate Email Check", "Passed duplicate check", 30, false, 1, 1),
      job("Test Data Check", "No test data found", 15, false, 1, 0),
      job("Repeated Character Check", "No character repeated 3 or more times in a row", 10, false, 1, 0),
      job("First and Last Name Check", "First and last name differ", 5, false, 1, 0),
      { level: "info", message: "Processr outcome: Valid. Score 100/100; all jobs passed.", context: `{"flag":"Valid","score":100,"maxScore":100,"hardfail":false}`, created_ts: s + 1 },
    ]);
    expect(await rows(`SELECT detail, started_ts FROM processr_job_leads WHERE lead_id = ?1 AND campaign_processr_job_id = 9002`, id)).toEqual([
      { detail: `Email "ada.lovelace@example.org" is unique in this campaign`, started_ts: s },
    ]);
  });

  it("a run keeps the label its job had when it was written, after a rename and after the job is deleted", async () => {
    const job = await env.DB.prepare(
      `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, enabled, position) VALUES (601, 'test_data_check', 'Before', 0, 0, 99) RETURNING id`,
    ).first<{ id: number }>();
    try {
      const before = await insertLead();
      await processLeads(before);
      await env.DB.prepare(`UPDATE campaign_processr_jobs SET label = 'After' WHERE id = ?1`).bind(job!.id).run();
      const after = await insertLead();
      await processLeads(after);
      const labelOf = async (leadId: number) =>
        (await list(`/api/v4/logs?lead.id=${leadId}&campaignProcessrJob.id=${job!.id}`)).map((l) => l.message);
      expect(await labelOf(before)).toEqual(["Before: not_run — The job is disabled."]);
      expect(await labelOf(after)).toEqual(["After: not_run — The job is disabled."]);

      await env.DB.prepare(`DELETE FROM campaign_processr_jobs WHERE id = ?1`).bind(job!.id).run();
      expect(await labelOf(before)).toEqual(["Before: not_run — The job is disabled."]);
      expect(await labelOf(after)).toEqual(["After: not_run — The job is disabled."]);
    } finally {
      await env.DB.prepare(`DELETE FROM campaign_processr_jobs WHERE id = ?1`).bind(job!.id).run();
    }
  });

  it("a trail stored in full (before the compact form) reads as it did", async () => {
    const id = await insertLead();
    const s = 1_764_468_000_123;
    const full = {
      s,
      l: [
        ["m", "info", 0, "Processr run started: 1 QA job(s).", null],
        ["j", 9001, "passed", 40, 40, 1, 0, 1, "info", "Required values (old label)", "All required values are present.", null],
        ["m", "info", 2, "Processr outcome: Valid. Score 40/40; all jobs passed.", { flag: "Valid", score: 40, maxScore: 40, hardfail: false }],
      ],
    };
    await env.DB.prepare(
      `INSERT INTO log_lines (id, type, lead_id, campaign_id, level, message, created_ts, trail)
       VALUES ((SELECT seq FROM sqlite_sequence WHERE name = 'log_lines') + 3, 'processr', ?1, 601, 'info', '', ?2, ?3)`,
    ).bind(id, s, JSON.stringify(full)).run();
    expect(await rows(`SELECT level, message, context, created_ts FROM logs WHERE lead_id = ?1 ORDER BY id`, id)).toEqual([
      { level: "info", message: "Processr run started: 1 QA job(s).", context: null, created_ts: s },
      { level: "info", message: "Required values (old label): passed — All required values are present.", context: `{"status":"passed","score":40,"maxScore":40,"hardfail":true,"durationMs":1}`, created_ts: s + 1 },
      { level: "info", message: "Processr outcome: Valid. Score 40/40; all jobs passed.", context: `{"flag":"Valid","score":40,"maxScore":40,"hardfail":false}`, created_ts: s + 2 },
    ]);
    expect(await rows(`SELECT status, message, detail, score, started_ts, finished_ts FROM processr_job_leads WHERE lead_id = ?1`, id)).toEqual([
      { status: "passed", message: "All required values are present.", detail: null, score: 40, started_ts: s, finished_ts: s + 1 },
    ]);
  });
});
