import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { BATCH_SIZE } from "../../src/bulk/messages";
import { transitionLead } from "../../src/leads/client";
import worker from "../../src/index";
import { call } from "../helpers";
import { addLeads, type Doc, get, send, tokens } from "./fixtures";

// Bulk lead operations, black-box through HTTP: 202 with a BulkJob at once, the bulk queue of
// wrangler.toml's [env.dev] working through the batches, the outcome read back through v4.

let t: Awaited<ReturnType<typeof tokens>>;
const CAUTION = 250; // three batches of BATCH_SIZE (100)

beforeAll(async () => {
  await addLeads();
  await env.DB.prepare(
    `INSERT INTO leads (id, campaign_id, publisher_id, form_id, lead_hash, qa_result, flag, processr_status, email, created_ts, updated_ts)
     WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?1)
     SELECT 70000 + n, 602, 13, 36, 'caution' || n, 'Caution', 'Caution', 1000, 'c' || n || '@bulk.example', 1767225600000 + n, 1767225600000 + n FROM s`,
  ).bind(CAUTION).run();
  t = await tokens();
});

const post = (op: string, body: unknown, headers: Record<string, string> = t.admin) => send(`/api/v4/${op}`, "POST", body, headers, "application/json");

async function finished(jobIri: string): Promise<Doc> {
  const until = Date.now() + 25_000;
  for (;;) {
    const { body } = await get(jobIri, t.admin);
    if (body.status === "done" || Date.now() > until) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const flagOf = async (id: number) => (await env.DB.prepare(`SELECT flag FROM leads WHERE id = ?1`).bind(id).first<{ flag: string }>())!.flag;
const countRows = async (table: string, leadId: number) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE lead_id = ?1`).bind(leadId).first<{ n: number }>())!.n;

function csvUpload(csv: string, fields: Record<string, string>) {
  const form = new FormData();
  form.set("file", new File([csv], "leads.csv", { type: "text/csv" }));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return form;
}

describe("POST /api/v4/leads-bulk-flag", () => {
  it("answers 202 with a job at once; the leads change through their objects, with notes and sync-tag events; unknown ids are failed items", async () => {
    const events = await countRows("lead_events", 53101);
    const res = await post("leads-bulk-flag", { leads: [53101, "/api/v4/leads/53102", 999999], leadFlag: "/api/v4/lead-flags/2", reason: "Bulk QA" });
    expect(res.status).toBe(202);
    expect(res.res.headers.get("Location")).toBe(`/api/v4/bulk-jobs/${res.body.id}`);
    expect(res.body).toMatchObject({ "@type": "BulkJob", operation: "flag", parameters: { flag: "Invalid", reason: "Bulk QA" }, total: 3, author: "admin@acme.test" });
    const job = await finished(res.body["@id"]);
    expect(job).toMatchObject({ status: "done", total: 3, done: 2, failed: 1, pending: 0 });
    expect(job.errors).toEqual([{ lead: null, input: "999999", message: "Unknown lead id." }]);
    expect(job.finishedTs).toMatch(/^\d{4}-/);
    expect([await flagOf(53101), await flagOf(53102)]).toEqual(["Invalid", "Invalid"]);
    const notes = (await get("/api/v4/lead-notes?lead.id=53101", t.admin)).body["hydra:member"];
    expect(notes.at(-1)).toMatchObject({ fromFlag: "Valid", toFlag: "Invalid", reason: "Bulk QA", author: "admin@acme.test" });
    expect(await countRows("lead_events", 53101)).toBe(events + 1);

    // Idempotent: the same request again changes nothing and writes no second note.
    const noteCount = await countRows("lead_notes", 53101);
    const again = await finished((await post("leads-bulk-flag", { leads: [53101, 53102], leadFlag: 2, reason: "Bulk QA" })).body["@id"]);
    expect(again).toMatchObject({ done: 2, failed: 0 });
    expect(await countRows("lead_notes", 53101)).toBe(noteCount);
  });

  it("refuses what it cannot do with 422 naming the field, a bad filter with 400, and changes nothing", async () => {
    const caution = await post("leads-bulk-flag", { leads: [53104], leadFlag: 3, reason: "x" });
    expect(caution.status).toBe(422);
    expect(caution.body.violations).toEqual([{ propertyPath: "leadFlag", message: "A bulk flag is Valid (1), Invalid (2) or Test (4)." }]);
    const noReason = await post("leads-bulk-flag", { leads: [53104], leadFlag: 1 });
    expect(noReason.body.violations.map((v: Doc) => v.propertyPath)).toEqual(["reason"]);
    const two = await post("leads-bulk-flag", { leads: [53104], filter: "campaign.id=601", leadFlag: 1, reason: "x" });
    expect(two.status).toBe(422);
    expect(two.body.violations[0].propertyPath).toBe("filter");
    const none = await post("leads-bulk-flag", { leadFlag: 1, reason: "x" });
    expect(none.body.violations[0].propertyPath).toBe("leads");
    const empty = await post("leads-bulk-flag", { filter: "page=2", leadFlag: 1, reason: "x" });
    expect(empty.status).toBe(422);
    expect(empty.body.violations[0].propertyPath).toBe("filter");
    const bad = await post("leads-bulk-flag", { filter: "campaign.id=abc", leadFlag: 1, reason: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body["hydra:description"]).toContain("campaign.id");
    const extra = await post("leads-bulk-flag", { leads: [53104], leadFlag: 1, reason: "x", constructor: 1 });
    expect(extra.status).toBe(422);
    expect(await flagOf(53104)).toBe("Test");
    expect((await env.DB.prepare(`SELECT count(*) AS n FROM bulk_jobs WHERE params LIKE '%"reason":"x"%'`).first<{ n: number }>())!.n).toBe(0);
  });

  it("is for admins only: publishers get 403 (on their own leads too), anonymous callers 401, and nothing changes", async () => {
    for (const op of ["leads-bulk-flag", "leads-bulk-delete", "is-lead-delivered"]) {
      expect((await post(op, { leads: [53104], leadFlag: 1, reason: "x" }, t.north)).status).toBe(403);
      expect((await post(op, { leads: [53104], leadFlag: 1, reason: "x" }, {})).status).toBe(401);
    }
    expect(await flagOf(53104)).toBe("Test");
    const { body } = await get("/api/v4/bulk-jobs", t.admin);
    expect(body["hydra:totalItems"]).toBeGreaterThan(0);
    expect((await get(body["hydra:member"][0]["@id"], t.north)).status).toBe(403);
    expect((await get("/api/v4/bulk-jobs/987654", t.admin)).status).toBe(404);
  });
});

describe("bulk deliver / undeliver by filter, in batches", () => {
  it("delivers every Caution lead of a filter over several queue batches, then undelivers them", async () => {
    const caution = async () => (await env.DB.prepare(`SELECT caution_leads AS n FROM campaign_statistics WHERE campaign_id = 602`).first<{ n: number }>())!.n;
    const before = await caution();
    const res = await post("leads-bulk-deliver", { filter: "campaign.id=602&leadFlag.id=3", reason: "Checked by the call centre" });
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(CAUTION);
    expect(CAUTION).toBeGreaterThan(2 * BATCH_SIZE);
    const job = await finished(res.body["@id"]);
    expect(job).toMatchObject({ status: "done", total: CAUTION, done: CAUTION, failed: 0 });
    const flags = await env.DB.prepare(`SELECT flag, count(*) AS n FROM leads WHERE id > 70000 GROUP BY flag`).all();
    expect(flags.results).toEqual([{ flag: "Valid", n: CAUTION }]);
    // The statistics moved with each lead (the lead object's batch).
    expect(before - (await caution())).toBe(CAUTION);

    // Undeliver: Valid/Test → Invalid; a lead not delivered is left as it is (done, unchanged).
    const undo = await finished((await post("leads-bulk-undeliver", { leads: [70001, 70002, 53103] })).body["@id"]);
    expect(undo).toMatchObject({ done: 3, failed: 0 });
    expect([await flagOf(70001), await flagOf(70002), await flagOf(53103)]).toEqual(["Invalid", "Invalid", "Invalid"]);
  });
});

describe("CSV uploads, metadata, delete, reprocess, is-lead-delivered", () => {
  it("takes a CSV of ids and hashes; bad rows and unknown hashes are reported, not fatal", async () => {
    const csv = 'leadHash\r\nhash53101\r\n53102\r\n"=cmd|x"\r\n\r\ndeadbeef\r\n53102\r\n';
    const res = await call("/api/v4/leads-bulk-metadata", { method: "POST", headers: t.admin, body: csvUpload(csv, { metadata: "Replacement", comment: "Duplicate of an earlier lead" }) });
    expect(res.status).toBe(202);
    const job = await finished(((await res.json()) as Doc)["@id"]);
    expect(job).toMatchObject({ total: 4, done: 2, failed: 2 });
    expect(job.errors).toEqual([
      { lead: null, input: "deadbeef", message: "Unknown lead hash." },
      { lead: null, input: "=cmd|x", message: "Row 4: neither a lead id nor a lead hash." },
    ]);
    const lead = (await get("/api/v4/leads/53101", t.admin)).body;
    expect(lead).toMatchObject({ otherReason: "Replacement", otherComment: "Duplicate of an earlier lead" });
    const notes = (await get("/api/v4/lead-notes?lead.id=53101", t.admin)).body["hydra:member"];
    expect(notes.at(-1)).toMatchObject({ note: "Marked as Other: Replacement by admin@acme.test.", reason: "Duplicate of an earlier lead" });

    const undo = await call("/api/v4/leads-bulk-metadata", { method: "POST", headers: t.admin, body: csvUpload("53101\n", { metadata: "None" }) });
    expect((await finished(((await undo.json()) as Doc)["@id"])).done).toBe(1);
    expect((await get("/api/v4/leads/53101", t.admin)).body).toMatchObject({ otherReason: null, otherComment: null });

    const missing = await call("/api/v4/leads-bulk-metadata", { method: "POST", headers: t.admin, body: (() => { const f = new FormData(); f.set("metadata", "Other"); return f; })() });
    expect(missing.status).toBe(422);
    const open = await call("/api/v4/leads-bulk-delete", { method: "POST", headers: t.admin, body: csvUpload('"53101\n', {}) });
    expect(open.status).toBe(422);
    expect((((await open.json()) as Doc).violations as Doc[])[0]!.propertyPath).toBe("file");
  });

  it("answers is-lead-delivered at once (Valid and Test are delivered)", async () => {
    await transitionLead(env, { leadId: 53104, to: "Test", source: "manual", author: "test" });
    const res = await post("is-lead-delivered", { leads: [53104, 53103, 424242] });
    expect(res.status).toBe(200);
    expect(res.body.leads.map((l: Doc) => [l.id, l.leadStatus, l.delivered])).toEqual([[53103, "Invalid", false], [53104, "Test", true]]);
    expect(res.body.unknown).toEqual(["424242"]);
  });

  it("deletes (again: nothing changes) and reprocesses through the lead objects", async () => {
    const del = await finished((await post("leads-bulk-delete", { leadHashes: ["caution10", "caution11"] })).body["@id"]);
    expect(del).toMatchObject({ done: 2, failed: 0 });
    expect((await get("/api/v4/leads/70010", t.admin)).status).toBe(404);
    const events = await countRows("lead_events", 70010);
    const again = await finished((await post("leads-bulk-delete", { leadHashes: ["caution10"] })).body["@id"]);
    expect(again).toMatchObject({ done: 1, failed: 0 });
    expect(await countRows("lead_events", 70010)).toBe(events);
    // Flagging a deleted lead by id: it is not selectable any more.
    const flag = await finished((await post("leads-bulk-flag", { leads: [70010], leadFlag: 1, reason: "x" })).body["@id"]);
    expect(flag.errors).toEqual([{ lead: null, input: "70010", message: "Unknown lead id." }]);

    const re = await finished((await post("leads-bulk-reprocess", { leads: [70020] })).body["@id"]);
    expect(re).toMatchObject({ done: 1, failed: 0 });
    const notes = (await get("/api/v4/lead-notes?lead.id=70020", t.admin)).body["hydra:member"];
    expect(notes.map((n: Doc) => n.note)).toContain("Reprocessing requested by admin@acme.test.");
  });
});

describe("a job interrupted mid-batch resumes after a restart", () => {
  it("the cron re-sends a stalled job's pending batches; leads already changed are not changed twice", async () => {
    const ids = Array.from({ length: 150 }, (_, i) => 70100 + i); // caution leads 100..249, now Valid
    const old = Date.now() - 10 * 60_000;
    const job = await env.DB.prepare(
      `INSERT INTO bulk_jobs (operation, params, author, user_id, status, total, batches, created_ts, updated_ts)
       VALUES ('flag', '{"flag":"Test","reason":"Resumed"}', 'admin@acme.test', 167, 'running', 150, 2, ?1, ?1) RETURNING id`,
    ).bind(old).first<{ id: number }>();
    const jobId = job!.id;
    // Batch 0 ran and was recorded; in batch 1 the worker died after 25 lead objects had applied
    // the change and before the batch's outcomes were written.
    for (const id of [...ids.slice(0, 100), ...ids.slice(100, 125)]) {
      expect((await transitionLead(env, { leadId: id, to: "Test", source: "manual", author: "admin@acme.test", reason: "Resumed" })).ok).toBe(true);
    }
    await env.DB.batch(ids.map((id, i) =>
      env.DB.prepare(`INSERT INTO bulk_job_items (job_id, batch, lead_id, status, message) VALUES (?1, ?2, ?3, ?4, ?5)`)
        .bind(jobId, i < 100 ? 0 : 1, id, i < 100 ? "done" : "pending", i < 100 ? "Valid → Test." : null)));
    expect((await get(`/api/v4/bulk-jobs/${jobId}`, t.admin)).body).toMatchObject({ status: "running", pending: 150 });

    const ctx = createExecutionContext();
    await worker.scheduled!({ cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, env, ctx);
    await waitOnExecutionContext(ctx);
    const done = await finished(`/api/v4/bulk-jobs/${jobId}`);
    expect(done).toMatchObject({ status: "done", total: 150, done: 150, failed: 0 });
    const flags = await env.DB.prepare(`SELECT flag, count(*) AS n FROM leads WHERE id BETWEEN 70100 AND 70249 GROUP BY flag`).all();
    expect(flags.results).toEqual([{ flag: "Test", n: 150 }]);
    // One status note per lead, including the 25 applied before the crash.
    const notes = await env.DB.prepare(
      `SELECT lead_id, count(*) AS n FROM lead_notes WHERE lead_id BETWEEN 70100 AND 70249 AND to_flag = 'Test' GROUP BY lead_id HAVING n <> 1`,
    ).all();
    expect(notes.results).toEqual([]);
    const items = await env.DB.prepare(`SELECT message, count(*) AS n FROM bulk_job_items WHERE job_id = ?1 AND batch = 1 GROUP BY message ORDER BY message`).bind(jobId).all();
    expect(items.results).toEqual([{ message: "Already Test; nothing changed.", n: 25 }, { message: "Valid → Test.", n: 25 }]);
  });

  it("the cron removes a job whose creation failed after its row, before its items, and leaves finished jobs alone", async () => {
    const old = Date.now() - 10 * 60_000;
    const insert = (status: string) =>
      env.DB.prepare(
        `INSERT INTO bulk_jobs (operation, params, author, user_id, status, created_ts, updated_ts)
         VALUES ('flag', '{"flag":"Invalid","reason":"Lost"}', 'admin@acme.test', 167, ?1, ?2, ?2) RETURNING id`,
      ).bind(status, old).first<{ id: number }>();
    // The row of a job whose items never came (its caller got an error), and a job of no lead, done.
    const orphan = (await insert("running"))!.id;
    const empty = (await insert("done"))!.id;
    expect((await get(`/api/v4/bulk-jobs/${orphan}`, t.admin)).body).toMatchObject({ status: "running", total: 0 });

    const ctx = createExecutionContext();
    await worker.scheduled!({ cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await get(`/api/v4/bulk-jobs/${orphan}`, t.admin)).status).toBe(404);
    expect((await get(`/api/v4/bulk-jobs/${empty}`, t.admin)).body).toMatchObject({ status: "done", total: 0 });
  });
});
