import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { archiveOldLeads } from "../../src/archive/archive-job";
import { readArchivedLead, restoreArchivedLead } from "../../src/archive/restore";
import { leadObject } from "../../src/leads/client";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { send } from "../v4/fixtures";
import { cleanData, insertLead, processLeads, rows } from "../leads/fixtures";
import { DAY, filesOf } from "./helpers";

// The archive (src/archive): leads past their hot window move to R2 with all their rows, one
// gzip file per campaign, month and batch; D1 keeps an index row. Driven the way the cron drives
// it, and read back through the v4 API.

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

afterEach(() => {
  vi.restoreAllMocks();
});

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

  it("two runs at once take different leads: each lead is archived once", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await oldLead(480));
    const month = new Date(NOW - 480 * DAY).toISOString().slice(0, 7);
    const runs = await Promise.all([archiveOldLeads(env, { now: NOW, batchSize: 2 }), archiveOldLeads(env, { now: NOW, batchSize: 2 })]);
    expect(runs.reduce((n, r) => n + r.leads, 0)).toBeGreaterThanOrEqual(6);
    const archived = (await filesOf(`leads/campaign=601/month=${month}/`)).flatMap((f) => f.leads.map((l) => l.id)).filter((id) => ids.includes(id));
    expect(archived.sort()).toEqual([...ids].sort());
    expect(await rows(`SELECT id FROM leads WHERE id IN (SELECT value FROM json_each(?1))`, JSON.stringify(ids))).toEqual([]);
    for (const id of ids) expect(await restoreArchivedLead(env, id)).toBe(true);
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

  it("the campaign's window is its v4 archiveAfterDays (1 to 36,500 days, or null)", async () => {
    const put = (archiveAfterDays: unknown) => send("/api/v4/campaigns/601", "PUT", { archiveAfterDays }, bearer(admin));
    expect((await put(45)).body).toMatchObject({ archiveAfterDays: 45 });
    expect((await put(0)).status).toBe(422);
    expect((await put("45")).status).toBe(422);
    expect(await rows(`SELECT archive_after_days AS d FROM campaigns WHERE id = 601`)).toEqual([{ d: 45 }]);
    expect((await put(null)).body).toMatchObject({ archiveAfterDays: null });
    expect((await put(300)).body).toMatchObject({ archiveAfterDays: 300 });
  });

  it("GET /api/v4/leads/{id} reads an archived lead from R2: the same representation, marked archived; publishers see only theirs", async () => {
    const id = await oldLead(430);
    const before = await apiView(id);
    await archiveOldLeads(env, { now: NOW });
    expect(await rows(`SELECT id FROM leads WHERE id = ?1`, id)).toEqual([]);

    const res = await call(`/api/v4/leads/${id}`, { headers: bearer(admin) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...JSON.parse(before.lead.body), archived: true });
    const own = await call(`/api/v4/leads/${id}`, { headers: bearer(await loginAs(DEMO.northwind)) });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ "@id": `/api/v4/leads/${id}`, archived: true });
    const other = await call(`/api/v4/leads/${id}`, { headers: bearer(await loginAs(DEMO.agencyPartners)) });
    expect(other.status).toBe(404);
    expect((await call(`/api/v4/leads/999999999`, { headers: bearer(admin) })).status).toBe(404);
    // Reading does not restore it.
    expect(await rows(`SELECT id FROM leads WHERE id = ?1`, id)).toEqual([]);
  });

  it("an email lookup (GET /api/v4/leads?email=…) lists archived leads with that email after those in D1, paged", async () => {
    const email = `lookup.${Date.now()}@example.org`;
    const archivedIds = [await oldLead(470, email), await oldLead(470, email)];
    await archiveOldLeads(env, { now: NOW });
    const hot = await oldLead(5, email);
    const list = async (qs: string, token = admin) => {
      const res = await call(`/api/v4/leads?${qs}`, { headers: bearer(token) });
      expect(res.status).toBe(200);
      return (await res.json()) as { "hydra:member": Record<string, unknown>[]; "hydra:totalItems": number; "hydra:view"?: Record<string, string> };
    };
    const all = await list(`email=${encodeURIComponent(email)}`);
    expect(all["hydra:totalItems"]).toBe(3);
    expect(all["hydra:member"].map((m) => [m.id, m.archived ?? false])).toEqual([[hot, false], [archivedIds[0], true], [archivedIds[1], true]]);
    const page2 = await list(`email=${encodeURIComponent(email)}&itemsPerPage=2&page=2`);
    expect(page2["hydra:member"].map((m) => m.id)).toEqual([archivedIds[1]]);
    expect(page2["hydra:view"]).toMatchObject({ "hydra:last": expect.stringContaining("page=2") });
    // Exact, as the filter is for D1 leads; a publisher sees only its own.
    expect((await list(`email=${encodeURIComponent(email.toUpperCase())}`))["hydra:totalItems"]).toBe(0);
    expect((await list(`email=${encodeURIComponent(email)}`, await loginAs(DEMO.agencyPartners)))["hydra:totalItems"]).toBe(0);
    expect((await list(`email=${encodeURIComponent(email)}`, await loginAs(DEMO.northwind)))["hydra:totalItems"]).toBe(3);
    // The CSV export of the same lookup reads D1 only.
    const csv = await call(`/api/v4/leads?email=${encodeURIComponent(email)}`, { headers: { ...bearer(admin), Accept: "text/csv" } });
    expect(csv.status).toBe(200);
    expect((await csv.text()).trim().split("\n")).toHaveLength(2);
    // Other filters read D1 only.
    expect((await list(`email=${encodeURIComponent(email)}&campaign.id=601`))["hydra:totalItems"]).toBe(1);
  });

  it("a validation webhook on an archived lead restores it, then applies; its sync subscriber is told", async () => {
    const id = await oldLead(440);
    const [{ lead_hash: hash }] = await rows<{ lead_hash: string }>(`SELECT lead_hash FROM leads WHERE id = ?1`, id);
    await env.DB.prepare(
      `INSERT INTO sync_subscriptions (lead_id, campaign_publisher_id, callback_url, secret)
       SELECT ?1, id, 'https://crm.example/sync', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' FROM campaign_publishers WHERE campaign_id = 601 LIMIT 1`,
    ).bind(id).run();
    const before = await apiView(id);
    await archiveOldLeads(env, { now: NOW });
    expect(await rows(`SELECT id FROM sync_subscriptions WHERE lead_id = ?1`, id)).toEqual([]);

    const callbacks: string[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (!req.url.startsWith("https://crm.example/")) return realFetch(input, init);
      callbacks.push(await req.text());
      return new Response(null, { status: 204 });
    });
    const res = await call(`/api/webhook/invalidate/${hash}`, {
      method: "POST", headers: { ...bearer(admin), "Content-Type": "application/json" }, body: JSON.stringify({ reason: "Bounced", user: "crm" }),
    });
    expect(res.status).toBe(201);
    expect(await rows(`SELECT id FROM archived_leads WHERE id = ?1`, id)).toEqual([]);
    const after = JSON.parse((await apiView(id)).lead.body);
    const was = JSON.parse(before.lead.body);
    // The lead as it was (its data, hash, Processr outcome), with the webhook's change applied.
    expect(after).toMatchObject({ leadFlag: { name: "Invalid" }, advertiserBillable: false });
    for (const k of ["leadHash", "leadData", "createdTs", "qaResult", "score", "leadProcessrJobs"]) expect(after[k], k).toEqual(was[k]);
    expect(after.leadNotes).toEqual(expect.arrayContaining(was.leadNotes));
    // The subscriber's signed callback goes out (the lead object's alarm sends it).
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(leadObject(env, id));
      expect(callbacks.some((b) => b.includes('"Invalid"'))).toBe(true);
    }, { timeout: 10_000, interval: 50 });
  });

  it("a flag change through v4 on an archived lead restores it first", async () => {
    const id = await oldLead(450);
    await archiveOldLeads(env, { now: NOW });
    const res = await call(`/api/v4/leads/${id}`, {
      method: "PATCH", headers: { ...bearer(admin), "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ leadFlag: "/api/v4/lead-flags/2", reason: "Duplicate of another lead" }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ leadFlag: { name: "Invalid" } });
    expect(await rows(`SELECT id FROM archived_leads WHERE id = ?1`, id)).toEqual([]);
  });

  it("GDPR erasure reaches archived leads: restored, redacted like the others, and gone from the archive file", async () => {
    const email = `erase.${Date.now()}@example.org`;
    const gone = await oldLead(420, email);
    const kept = await oldLead(420);
    await archiveOldLeads(env, { now: NOW });
    const month = new Date(NOW - 420 * DAY).toISOString().slice(0, 7);
    const idsIn = async () => (await filesOf(`leads/campaign=601/month=${month}/`)).flatMap((f) => f.leads.map((l) => l.id));
    expect(await idsIn()).toEqual(expect.arrayContaining([gone, kept]));
    const textIn = async () => (await filesOf(`leads/campaign=601/month=${month}/`)).map((f) => JSON.stringify(f.leads)).join();
    expect(await textIn()).toContain(email);

    const list = await call("/api/v4/validation-lists", {
      method: "POST", headers: { ...bearer(admin), "Content-Type": "application/ld+json" },
      body: JSON.stringify({ name: `Erasure ${Date.now()}`, kind: "email", erasure: true }),
    });
    expect(list.status).toBe(201);
    const entry = await call("/api/v4/validation-list-entries", {
      method: "POST", headers: { ...bearer(admin), "Content-Type": "application/ld+json" },
      body: JSON.stringify({ validationList: ((await list.json()) as { "@id": string })["@id"], value: email.toUpperCase() }),
    });
    expect(entry.status, await entry.clone().text()).toBe(201);

    expect(await idsIn()).not.toContain(gone);
    expect(await idsIn()).toContain(kept);
    expect(await textIn()).not.toContain(email);
    expect(await readArchivedLead(env, gone)).toBeNull();
    const [row] = await rows<{ email: string | null; lead_hash: string }>(`SELECT email, lead_hash FROM leads WHERE id = ?1`, gone);
    expect(row!.email).toBeNull();
    expect(await rows(`SELECT note FROM lead_notes WHERE lead_id = ?1 AND note LIKE 'Personal data erased%'`, gone)).toHaveLength(1);
  });
});
