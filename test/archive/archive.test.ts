import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { archiveOldLeads } from "../../src/archive/archive-job";
import { decodeLeads, gunzip } from "../../src/archive/format";
import { eraseArchivedPerson, readArchivedLead, restoreArchivedLead } from "../../src/archive/restore";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { cleanData, insertLead, processLeads, rows } from "../leads/fixtures";

// The archive (src/archive): leads past their hot window move to R2 with all their rows, one
// gzip file per campaign, month and batch; D1 keeps an index row. Driven the way the cron drives
// it, and read back through the v4 API.

const DAY = 86_400_000;
const NOW = Date.now();
let admin: string;
beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  // Campaign 601 keeps its leads 300 days; the fixtures' own leads are younger.
  await env.DB.prepare(`UPDATE campaigns SET archive_after_days = 300 WHERE id = 601`).run();
});

/** A processed lead of campaign 601 created `days` ago, with a note of its own. */
async function oldLead(days: number, email?: string) {
  const data = email ? { ...cleanData(), email } : cleanData();
  const id = await insertLead({ createdTs: NOW - days * DAY, data });
  await processLeads(id);
  await env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note) VALUES (?1, 'admin@acme.test', 'Called back.')`).bind(id).run();
  return id;
}

/** What the API says about a lead: the Lead, its job results and its log lines. */
async function apiView(id: number) {
  const get = async (path: string) => {
    const res = await call(path, { headers: bearer(admin) });
    return { status: res.status, body: await res.text() };
  };
  return {
    lead: await get(`/api/v4/leads/${id}`),
    results: await get(`/api/v4/processr-job-leads?lead.id=${id}`),
    logs: await get(`/api/v4/logs?lead.id=${id}`),
    notes: await get(`/api/v4/lead-notes?lead.id=${id}`),
  };
}

const stats = () => rows(`SELECT * FROM campaign_statistics WHERE campaign_id = 601`);
const chronology = () => rows(`SELECT * FROM lead_statistics_chronologies WHERE campaign_id = 601 ORDER BY day`);

async function filesOf(prefix: string) {
  const listed = await env.ARCHIVE.list({ prefix });
  return Promise.all(listed.objects.map(async (o) => ({ key: o.key, leads: decodeLeads(await gunzip(await (await env.ARCHIVE.get(o.key))!.arrayBuffer())) })));
}

/** env.DB whose batches fail when they would delete leads: a crash between the file and D1. */
function failingDeletes(db: D1Database): D1Database {
  const sqlOf = new WeakMap<object, string>();
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => {
          const stmt = target.prepare(query);
          const bind = stmt.bind.bind(stmt);
          stmt.bind = (...values: unknown[]) => {
            const bound = bind(...values);
            sqlOf.set(bound, query);
            return bound;
          };
          sqlOf.set(stmt, query);
          return stmt;
        };
      }
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          if (stmts.some((s) => /^DELETE FROM leads\b/.test(sqlOf.get(s) ?? ""))) throw new Error("simulated crash before the D1 delete");
          return target.batch(stmts);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("lead archive", () => {
  it("moves a lead past its window to R2 and restores it exactly; statistics do not move", async () => {
    const id = await oldLead(400);
    const young = await oldLead(10);
    const before = await apiView(id);
    expect(before.lead.status).toBe(200);
    const [statsBefore, chronologyBefore] = [await stats(), await chronology()];

    const run = await archiveOldLeads(env, { now: NOW });
    expect(run.leads).toBeGreaterThanOrEqual(1);
    for (const table of ["leads", "lead_datas", "lead_notes", "lead_events", "log_lines"]) {
      expect(await rows(`SELECT * FROM ${table} WHERE ${table === "leads" ? "id" : "lead_id"} = ?1`, id), table).toEqual([]);
    }
    expect(await rows(`SELECT id FROM leads WHERE id = ?1`, young)).toHaveLength(1);
    const [index] = await rows<{ batch_id: number; email_lower: string }>(`SELECT * FROM archived_leads WHERE id = ?1`, id);
    expect(index).toBeDefined();
    const month = new Date(NOW - 400 * DAY).toISOString().slice(0, 7);
    const files = await filesOf(`leads/campaign=601/month=${month}/`);
    expect(files.map((f) => f.key)).toEqual([`leads/campaign=601/month=${month}/batch-${index!.batch_id}.ndjson.gz`]);
    const record = files[0]!.leads.find((l) => l.id === id)!;
    expect(record.rows.lead_notes.map((n) => n.note)).toContain("Called back.");
    expect((await readArchivedLead(env, id))!.rows.leads[0]!.id).toBe(id);
    expect(await stats()).toEqual(statsBefore);
    expect(await chronology()).toEqual(chronologyBefore);

    expect(await restoreArchivedLead(env, id)).toBe(true);
    expect(await apiView(id)).toEqual(before);
    expect(await rows(`SELECT id FROM archived_leads WHERE id = ?1`, id)).toEqual([]);
    expect((await filesOf(`leads/campaign=601/month=${month}/`)).flatMap((f) => f.leads.map((l) => l.id))).not.toContain(id);
    expect(await restoreArchivedLead(env, id)).toBe(false);
  });

  it("a crash between the archive write and the D1 delete loses nothing; the next run finishes without duplicates", async () => {
    const id = await oldLead(500);
    const before = await apiView(id);
    const month = new Date(NOW - 500 * DAY).toISOString().slice(0, 7);

    await expect(archiveOldLeads({ ...env, DB: failingDeletes(env.DB) }, { now: NOW })).rejects.toThrow("simulated crash");
    expect(await apiView(id)).toEqual(before);
    expect(await rows(`SELECT id FROM archived_leads WHERE id = ?1`, id)).toEqual([]);
    const [batch] = await rows<{ status: string; claimed_ts: number | null }>(
      `SELECT status, claimed_ts FROM archive_batches WHERE EXISTS (SELECT 1 FROM json_each(lead_ids) WHERE value = ?1)`, id,
    );
    expect(batch).toEqual({ status: "writing", claimed_ts: null });
    // The file was written before the crash.
    expect((await filesOf(`leads/campaign=601/month=${month}/`)).flatMap((f) => f.leads.map((l) => l.id))).toContain(id);

    await archiveOldLeads(env, { now: NOW });
    expect(await rows(`SELECT id FROM leads WHERE id = ?1`, id)).toEqual([]);
    const ids = (await filesOf(`leads/campaign=601/month=${month}/`)).flatMap((f) => f.leads.map((l) => l.id));
    expect(ids.filter((x) => x === id)).toHaveLength(1);
    expect(await rows(`SELECT status FROM archive_batches WHERE EXISTS (SELECT 1 FROM json_each(lead_ids) WHERE value = ?1)`, id)).toEqual([{ status: "done" }]);

    expect(await restoreArchivedLead(env, id)).toBe(true);
    expect(await apiView(id)).toEqual(before);
  });

  it("the campaign's window overrides the enterprise's; neither set archives nothing", async () => {
    const id = await oldLead(40);
    await env.DB.prepare(`UPDATE campaigns SET archive_after_days = NULL WHERE id = 601`).run();
    try {
      expect(await archiveOldLeads({ ...env, ARCHIVE_AFTER_DAYS: undefined }, { now: NOW })).toEqual({ batches: 0, leads: 0 });
      await env.DB.prepare(`UPDATE campaigns SET archive_after_days = 60 WHERE id = 601`).run();
      await archiveOldLeads({ ...env, ARCHIVE_AFTER_DAYS: "30" }, { now: NOW });
      expect(await rows(`SELECT id FROM leads WHERE id = ?1`, id)).toHaveLength(1);
      await env.DB.prepare(`UPDATE campaigns SET archive_after_days = NULL WHERE id = 601`).run();
      await archiveOldLeads({ ...env, ARCHIVE_AFTER_DAYS: "30" }, { now: NOW });
      expect(await rows(`SELECT id FROM archived_leads WHERE id = ?1`, id)).toHaveLength(1);
    } finally {
      await env.DB.prepare(`UPDATE campaigns SET archive_after_days = 300 WHERE id = 601`).run();
    }
    expect(await restoreArchivedLead(env, id)).toBe(true);
  });

  it("erasure reaches archived leads: their files are rewritten without them and the index forgets them", async () => {
    const email = `erase.${Date.now()}@example.org`;
    const gone = await oldLead(420, email);
    const kept = await oldLead(420);
    await archiveOldLeads(env, { now: NOW });
    const month = new Date(NOW - 420 * DAY).toISOString().slice(0, 7);
    const idsIn = async () => (await filesOf(`leads/campaign=601/month=${month}/`)).flatMap((f) => f.leads.map((l) => l.id));
    expect(await idsIn()).toEqual(expect.arrayContaining([gone, kept]));

    expect(await eraseArchivedPerson(env, email.toUpperCase())).toEqual([gone]);
    expect(await idsIn()).not.toContain(gone);
    expect(await idsIn()).toContain(kept);
    expect(await readArchivedLead(env, gone)).toBeNull();
    expect(await rows(`SELECT id FROM archived_leads WHERE email_lower = ?1`, email)).toEqual([]);
    expect(await eraseArchivedPerson(env, email)).toEqual([]);
  });
});
