// Lead capture's floor on this runtime (issue 17): workerd CPU per request of what a capture
// cannot avoid, next to capture itself, all in one workerd and one run (`--only=floor`):
//   - one D1 insert: bench/baseline.ts's /insert, the goal's baseline;
//   - one D1 insert + one queue send: the floor worker below (a capture must also enqueue the lead
//     for the Processr);
//   - capture's lead row + one queue send: the same worker inserting a copy of a lead capture wrote
//     into floor_leads, a table made from the leads table's own DDL in leadflare's D1 (its columns,
//     foreign keys and every index), and into a copy without its indexes: what the row and the
//     indexes the documented reads need cost, apart from capture's code;
//   - the indexed insert in a D1 batch of as many statements as capture's write batch has, with and
//     without its queue send (capture shares one send among a few milliseconds' captures);
//   - leadflare's 404: HTTP, routing, the global middleware and the rate limiter, no route;
//   - lead capture.
// leadflare is served twice: through Miniflare's local assets router, as wrangler.toml configures it
// (the console's assets with run_worker_first, emulated by two JavaScript workers in front of the
// Worker) and straight to the Worker, which is how Cloudflare's edge routes /api/* in production.
// The Processr does not run (its messages wait), so the CPU is capture's alone.
import { load } from "./load.mjs";
import { workerdCpuMs } from "./bench-roundtrips.mjs";
import { startDirect } from "./direct.mjs";
import { startCpuProfiles, summarizeProfiles, writeProfiles } from "./bench-cpu-profile.mjs";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { DEV_ENV, ROOT } from "./enterprise.mjs";
import { join } from "node:path";

// leadflare's D1 as wrangler.toml declares it for DB: Miniflare keeps one database per id, shared
// by every worker that binds it.
export const leadflareD1 = () => unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"), DEV_ENV).workerOptions.d1Databases.DB;

// A lead row as capture writes it, in the floor workers' own scripts (JavaScript source):
// insertLead(db, into, body, batched) inserts into table `into` the row captured in floorLeadTables
// (floor_lead_row), with its own hash, email, value ids and times, as capture's insert gives each
// lead; batched: in a D1 batch of CAPTURE_BATCH_STATEMENTS statements, as many as capture's write batch
// (D1's cost per statement). Also used by scripts/lib/bench-pipeline-floor.mjs.
/** Capture's write batch: the lead's guarded insert and its bookkeeping (the lead_captures trigger). */
export const CAPTURE_BATCH_STATEMENTS = 2;
export const LEAD_INSERT_SOURCE = `
let row, insertRow, seq = 0;
const hex = () => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
async function insertLead(db, into, body, batched) {
  row ??= await db.prepare("SELECT * FROM floor_lead_row").first();
  const cols = Object.keys(row).filter((c) => c !== "id");
  insertRow ??= (t) => "INSERT INTO " + t + " (" + cols.join(", ") + ") VALUES (" + cols.map((_, i) => "?" + (i + 1)).join(", ") + ")";
  const n = ++seq, now = Date.now();
  const own = { lead_hash: hex(), email: n + "." + body.length + "." + row.email, data_id: row.data_id === null ? null : row.data_id + 16 * n, created_ts: now, updated_ts: now };
  const insert = db.prepare(insertRow(into)).bind(...cols.map((c) => (Object.hasOwn(own, c) ? own[c] : row[c])));
  if (!batched) return insert.run();
  // As many statements as capture's write batch, those after the insert doing no work.
  const [first] = await db.batch([insert, ...Array.from({ length: ${CAPTURE_BATCH_STATEMENTS - 1} }, () => db.prepare("SELECT 1"))]);
  return first;
}`;

// One insert and one queue send per request, the send after the answer as capture does it. POST /
// inserts the body into an unindexed table; POST /leads (/leads-unindexed) a lead row into
// floor_leads (floor_leads_unindexed); POST /leads-batch the same insert in a D1 batch of capture's
// statements; ?send=0 leaves the queue send out.
const FLOOR_WORKER = `${LEAD_INSERT_SOURCE}
let table;
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const path = url.pathname;
    const body = await request.text();
    let meta;
    if (path.startsWith("/leads")) {
      ({ meta } = await insertLead(env.LEADS_DB, path === "/leads-unindexed" ? "floor_leads_unindexed" : "floor_leads", body, path === "/leads-batch"));
    } else {
      table ??= env.FLOOR_DB.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, body TEXT, created_ts INTEGER)");
      await table;
      ({ meta } = await env.FLOOR_DB.prepare("INSERT INTO hits (body, created_ts) VALUES (?, ?)").bind(body, Date.now()).run());
    }
    if (url.searchParams.get("send") !== "0") ctx.waitUntil(env.FLOOR_QUEUE.send({ type: "process", leadId: meta.last_row_id }));
    return Response.json({ data: meta.last_row_id, status: 201 }, { status: 201 });
  },
};`;

/**
 * The DDL of leadflare's table `table` as the migrations left it (columns, foreign keys, every
 * index), with each table named in `copies` (Map: table → copy) renamed to its copy, its indexes
 * with it (`leads_hash_uq` → `floor_leads_hash_uq`): { create, indexes: [{ name, sql }] }.
 */
export async function copiedDdl(db, table, copies) {
  const ddl = (await db.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ?1 AND sql IS NOT NULL").bind(table).all()).results;
  // drizzle-kit's DDL quotes every name: `leads`, `leads_..._idx`.
  const renamed = (sql) => [...copies].reduce((s, [from, to]) => s.replaceAll(`\`${from}\``, `\`${to}\``).replace(new RegExp(`\`${from}_(\\w+)\``, "g"), `\`${to}_$1\``), sql);
  return {
    create: renamed(ddl.find((d) => d.type === "table").sql),
    indexes: ddl.filter((d) => d.type === "index").map((d) => ({ name: d.name, sql: renamed(d.sql) })),
  };
}

/**
 * In leadflare's D1 (`db`): floor_leads, the leads table's DDL as the migrations left it (columns,
 * foreign keys, every index, renamed), floor_leads_unindexed (the table alone), and floor_lead_row,
 * a copy of the lead one real capture (`captureOne`, resolving to its lead id) wrote. Returns the
 * names of the indexes copied and the captured lead's id.
 */
export async function floorLeadTables(db, captureOne) {
  const indexed = await copiedDdl(db, "leads", new Map([["leads", "floor_leads"]]));
  const { create: unindexed } = await copiedDdl(db, "leads", new Map([["leads", "floor_leads_unindexed"]]));
  const leadId = await captureOne();
  await db.batch([
    db.prepare(indexed.create),
    db.prepare(unindexed),
    ...indexed.indexes.map((d) => db.prepare(d.sql)),
    db.prepare(`CREATE TABLE floor_lead_row AS SELECT * FROM leads WHERE id = ${Number(leadId)}`),
  ]);
  return { indexes: indexed.indexes.map((d) => d.name), leadId };
}

/**
 * CPU ms per request and req/s at 10 connections for `duration` seconds, after a warm-up (a fixed
 * duration: autocannon ends a fixed amount of requests only on a whole second, which skews req/s).
 */
async function perRequest(opts, duration) {
  await load({ ...opts, connections: 10, amount: 200 });
  const cpu0 = workerdCpuMs();
  const r = await load({ ...opts, connections: 10, duration });
  return { cpuMs: (workerdCpuMs() - cpu0) / (r.ok + r.failed), rps: r.rps, p99: r.p99, ok: r.ok, failed: r.failed };
}

/**
 * A capture run of its own, every isolate CPU-profiled (`--cpu-profile`): where a capture's CPU
 * goes, per request. Sampling costs CPU itself, so this run's figures are not the section's.
 */
async function profiled(opts, duration, { inspectorPort, script, dir }) {
  await load({ ...opts, connections: 10, amount: 200 });
  const stop = await startCpuProfiles(inspectorPort);
  const r = await load({ ...opts, connections: 10, duration });
  const profiles = await stop();
  writeProfiles(dir, "capture-floor", profiles);
  return summarizeProfiles(profiles, script, r.ok + r.failed);
}

/**
 * `prepare(mf, base)` loads leadflare's bench state; `capture` is { path, headers, makeBody };
 * ports: { leadflare, baseline, floor, inspector }; `duration`: seconds per measured run;
 * `profileDir`: also a profiled capture run straight to the Worker, its profiles written there.
 */
export async function measureCaptureFloor({ script, baselineScript, ports, persistTo, vars, prepare, capture, duration, log, profileDir }) {
  const base = `http://127.0.0.1:${ports.leadflare}`;
  const out = {};
  let seq = 0;
  for (const assets of [true, false]) {
    const mf = await startDirect({
      script, persistTo: `${persistTo}-${assets ? "assets" : "straight"}`, port: ports.leadflare, vars: { ...vars, BASE_URL: base },
      noConsumers: true, assets, baselineScript, baselinePort: ports.baseline,
      ...(profileDir && !assets ? { inspectorPort: ports.inspector } : {}),
      extraWorkers: [{
        name: "capture-floor", modules: true, script: FLOOR_WORKER, compatibilityDate: "2026-10-20",
        // LEADS_DB: leadflare's own D1 (the id wrangler.toml gives DB), for floor_leads.
        d1Databases: { FLOOR_DB: "bench-capture-floor", LEADS_DB: leadflareD1() }, queueProducers: { FLOOR_QUEUE: { queueName: "bench-capture-floor" } },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: ports.floor }],
      }],
    });
    try {
      await prepare(mf, base);
      const side = assets ? "assets" : "straight";
      log(`capture floor (${side}): baselines, 404, capture`);
      const post = (url, makeBody) => ({ url, method: "POST", headers: { "Content-Type": "text/plain" }, makeBody });
      if (!assets) {
        out.insert = await perRequest(post(`http://127.0.0.1:${ports.baseline}/insert`, () => `hit ${++seq}`), duration);
        out.insertSend = await perRequest(post(`http://127.0.0.1:${ports.floor}/`, () => `hit ${++seq}`), duration);
        const db = await mf.getD1Database("DB", "leadflare");
        ({ indexes: out.leadIndexes } = await floorLeadTables(db, async () => {
          const res = await fetch(base + capture.path, { method: "POST", headers: capture.headers, body: capture.makeBody() });
          if (res.status !== 201) throw new Error(`capture floor: a capture answered ${res.status}: ${await res.text()}`);
          return (await db.prepare("SELECT max(id) AS id FROM leads").first()).id;
        }));
        out.leadRowUnindexed = await perRequest(post(`http://127.0.0.1:${ports.floor}/leads-unindexed`, () => `hit ${++seq}`), duration);
        out.leadRow = await perRequest(post(`http://127.0.0.1:${ports.floor}/leads`, () => `hit ${++seq}`), duration);
        out.leadRowBatch = await perRequest(post(`http://127.0.0.1:${ports.floor}/leads-batch`, () => `hit ${++seq}`), duration);
        out.leadRowBatchNoSend = await perRequest(post(`http://127.0.0.1:${ports.floor}/leads-batch?send=0`, () => `hit ${++seq}`), duration);
      }
      out[side] = {
        floor: await perRequest({ url: `${base}/api/v2.4/publisher/12/bench-floor`, method: "POST", headers: capture.headers, body: "", expect404: true }, duration),
        capture: await perRequest({ url: base + capture.path, method: "POST", headers: capture.headers, makeBody: capture.makeBody }, duration),
      };
      if (profileDir && !assets) {
        log("capture floor (straight): a profiled capture run");
        out.profile = await profiled(
          { url: base + capture.path, method: "POST", headers: capture.headers, makeBody: capture.makeBody }, duration,
          { inspectorPort: ports.inspector, script, dir: profileDir },
        );
      }
    } finally {
      await mf.dispose();
    }
  }
  return out;
}

/** The section's Markdown. */
export function captureFloorReport(f, fmt) {
  const cell = (m) => (m ? `${fmt(m.cpuMs, 2)} ms · ${fmt(m.rps)} req/s · p99 ${fmt(m.p99)} ms${m.failed ? ` (${fmt(m.failed)} failed)` : ""}` : "–");
  return [
    "workerd CPU per request (user + system time of the process, D1, queues and Durable Objects included) and req/s, 10 connections, the Processr not running. leadflare through Miniflare's local assets router (as `wrangler.toml` configures it) and straight to the Worker (how Cloudflare's edge routes `/api/*`, with `run_worker_first`).",
    "",
    "| request | through the local assets router | straight to the Worker |",
    "|---|---|---|",
    `| one D1 insert (\`bench/baseline.ts\`) | – | ${cell(f.insert)} |`,
    `| one D1 insert + one queue send | – | ${cell(f.insertSend)} |`,
    `| capture's lead row, the leads table without indexes + one queue send | – | ${cell(f.leadRowUnindexed)} |`,
    `| capture's lead row, the leads table with its ${f.leadIndexes?.length ?? "–"} indexes + one queue send | – | ${cell(f.leadRow)} |`,
    `| the same insert in a batch of ${CAPTURE_BATCH_STATEMENTS} statements (the others \`SELECT 1\`), as capture's write batch has ${CAPTURE_BATCH_STATEMENTS}, + one queue send | – | ${cell(f.leadRowBatch)} |`,
    `| the same batch without the queue send (capture shares one send among the captures of a few milliseconds) | – | ${cell(f.leadRowBatchNoSend)} |`,
    `| leadflare 404 (middleware and rate limiter only) | ${cell(f.assets?.floor)} | ${cell(f.straight?.floor)} |`,
    `| lead capture | ${cell(f.assets?.capture)} | ${cell(f.straight?.capture)} |`,
  ].join("\n");
}
