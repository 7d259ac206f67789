// `npm run bench [-- --quick] [-- --million] [-- --write]`: throughput and latency of leadflare on
// workerd, each figure next to a baseline measured in the same run (issue 8). See BENCHMARKS.md.
// Capture and the v4 page alternate with their goal baselines in interleaved rounds of the same run
// (scripts/lib/bench-interleaved.mjs), and end to end with one insert in the pipeline section's rounds
// (scripts/lib/bench-pipeline-floor.mjs), so that a drift of the shared host between runs is not a ratio.
// The goal rows serve leadflare straight to its Worker, as the baselines are served: wrangler.toml's
// [assets] puts Miniflare's local assets router (two JavaScript workers) in front of the Worker, but on
// Cloudflare that routing is done by the platform before the Worker runs and is not billed to it
// ("requests to static assets are free and unlimited"; only invocations of the Worker script are
// billed: developers.cloudflare.com/workers/static-assets/billing-and-limitations/). The same runs
// through the local router are printed beside them (startDirect's straightPort: one workerd, both ways).
//   --quick    3 s load runs and fewer leads (a smoke run; figures are noisier)
//   --million  also reads with 1,000,000 leads (the bulk load adds a few minutes)
//   --write    replaces the results section of BENCHMARKS.md with this run
//   --disk     keeps the local D1/DO state on disk (.bench/state) instead of tmpfs (/dev/shm)
//   --cpu-profile  the fan-out run also CPU-profiles both workerds, the floor section a capture
//              run of its own and the pipeline section a leadflare burst of its own (scripts/lib/bench-cpu-profile.mjs)
//   --fanout-alarms  the fan-out run also waits out the minute after it and reports the CPU of the
//              lead objects' safety alarms its decisions armed (about 90 s more per fan-out run)
//   --only=a,b runs only these sections: direct (capture, processing, round trips and CPU per
//              lead), roundtrips (only the per-lead figures), reads (v4 reads, export,
//              bulk flag, and jobresults), dev (capture through wrangler dev), fanout, parsers, console, storage
//              (D1 bytes and rows written per lead, archive throughput, archived vs hot reads:
//              scripts/lib/bench-storage.mjs), transforms
//              (processing again with value transforms on, scripts/lib/bench-transforms.mjs), lists
//              (validation lists: CSV import and export of 100,000 entries, processing again with
//              validation_list_check on, scripts/lib/bench-lists.mjs), floor (capture's CPU per
//              request next to one D1 insert, insert + queue send, the 404, with and without the
//              local assets router: scripts/lib/bench-capture-floor.mjs), jobresults (a job's
//              results and logs counted at 100,000 leads with trails: scripts/lib/bench-job-results.mjs),
//              steady (capture at 5 %, 50 % and 80 % of capture alone with the Processr running,
//              the backlog sampled: scripts/lib/bench-steady.mjs), pipeline (the whole pipeline's floor,
//              capture + queue + consumer without leadflare's code, in alternating rounds with
//              leadflare's end to end and one D1 insert: scripts/lib/bench-pipeline-floor.mjs), fanoutfloor
//              (the sync fan-out's trip without leadflare's code, two workerds, in alternating rounds
//              with leadflare's fan-out: scripts/lib/bench-fanout-floor.mjs), webhook (the campaign
//              webhook's capture with each kind of key next to the Publisher API's, in rotating rounds,
//              with D1 round trips per capture: scripts/lib/bench-webhook.mjs)
import { cpus, totalmem } from "node:os";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bulkLoadLeads } from "./lib/bulk.mjs";
import { measureBulkFlag } from "./lib/bulk-flag.mjs";
import { loadRowsBaseline } from "./lib/bench-rows-baseline.mjs";
import { bundleCounting, d1Statements, diffTimings, diffTrips, measurePerLead, roundTrips, timings, workerdCpuMs, workerdPids } from "./lib/bench-roundtrips.mjs";
import { bundle, loadDemoState, startDirect } from "./lib/direct.mjs";
import { ROOT, startWrangler, stopProcessGroup, waitForHttp } from "./lib/enterprise.mjs";
import { measureExport } from "./lib/export.mjs";
import { goalsReport } from "./lib/bench-goals.mjs";
import { interleaved, roundsRatio, roundsText } from "./lib/bench-interleaved.mjs";
import { load } from "./lib/load.mjs";
import { measureParsers, parsersReport } from "./bench-parsers.mjs";
import { consoleReport, measureConsole } from "./bench-console.mjs";
import { measureArchive, measureStorage, storageReport } from "./lib/bench-storage.mjs";
import { configureValueTransforms, transformedLeads } from "./lib/bench-transforms.mjs";
import { configureListCheck, importAndExportList } from "./lib/bench-lists.mjs";
import { captureFloorReport, measureCaptureFloor } from "./lib/bench-capture-floor.mjs";
import { measurePipelineFloor, pipelineFloorReport } from "./lib/bench-pipeline-floor.mjs";
import { fanoutFloorReport, MAX_IN_FLIGHT, measureFanoutFloor } from "./lib/bench-fanout-floor.mjs";
import { jobResultsReport, measureJobResults } from "./lib/bench-job-results.mjs";
import { measurePageGap, PAGE_STATEMENTS_FLOOR, pageFloorWorker, pageGapReport } from "./lib/bench-page-gap.mjs";
import { measureSteady, steadyReport } from "./lib/bench-steady.mjs";
import { measureWebhookCapture, webhookReport } from "./lib/bench-webhook.mjs";
import { profileReport, startCpuProfiles, summarizeProfiles, writeProfiles } from "./lib/bench-cpu-profile.mjs";

const args = new Set(process.argv.slice(2));
const QUICK = args.has("--quick");
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const runs = (section) => !ONLY || ONLY.includes(section);
const DURATION = QUICK ? 3 : 10; // seconds per load run
// A goal row's figure and its baseline alternate in ROUNDS rounds of DURATION / ROUNDS seconds each
// (scripts/lib/bench-interleaved.mjs): each side gets the DURATION a single run had.
const ROUNDS = QUICK ? 3 : 5;
const CONNECTIONS = [10, 50];
const PROCESSING_LEADS = QUICK ? 200 : 1000;
// As many leads as the processing row it is compared with: a short run measures the pipeline filling.
const FANOUT_LEADS = PROCESSING_LEADS;
// The fan-out floor's rounds, each a floor burst and a run of leadflare's fan-out (a fresh demo pair, about half a minute).
const FANOUT_FLOOR_ROUNDS = QUICK ? 2 : 3;
// How often the fan-out's wait looks for its end in D1 (acme's in leadflare's run, the sender's in the
// floor's). A look goes through Miniflare's D1 proxy, served by that side's workerd: its CPU (several
// ms a look here) counts as the side's own, which every 50 ms made 0.3-1.3 ms per lead of acme's
// figure. The figures are timed from the rows' own timestamps, so looking less often only lengthens
// the wait by an idle second at most; what the looks still cost is stated beside acme's figure.
const FANOUT_POLL_MS = 1000;
const waitForFanout = (done, target, startedAt) => waitFor(done, target, startedAt, WAIT_LIMIT_MS, FANOUT_POLL_MS);
// --cpu-profile: the fan-out run also profiles both workerds (.bench/cpu-profiles/*.cpuprofile, summed up in the output).
const CPU_PROFILE = args.has("--cpu-profile");
// --fanout-alarms: the fan-out run also waits out the minute after it, when the lead objects' safety
// alarms armed by its decisions fire (SAFETY_ALARM_MS in src/leads/lead-object.ts), and reports their CPU,
// which the run's own window does not see. About 90 s more per run; off by default.
const FANOUT_ALARMS = args.has("--fanout-alarms");
const SAFETY_ALARM_MS = 60_000;
const READ_SIZES = args.has("--million") ? [100_000, 1_000_000] : [100_000];
const BULK_FLAG_LEADS = QUICK ? 1000 : 10_000;
const WAIT_LIMIT_MS = 180_000; // for queues to drain; past it the bench reports what it saw

// Bench profile: Convertr's per-caller limits (3000 calls / 5 min) would throttle a load
// generator within seconds; every run below uses these instead, and the output says so.
const BENCH_VARS = {
  RATE_LIMIT_LOGIN: "1000000000",
  RATE_LIMIT_LEAD_RESULT: "1000000000",
  RATE_LIMIT_TOTAL: "1000000000",
  // The fan-out's deliveries and callbacks would otherwise measure the 600-a-minute politeness limit
  // per client host, not the code (the per-host concurrency limit stays).
  OUTBOUND_HOST_RATE_PER_MINUTE: "1000000000",
  ALLOW_PRIVATE_OUTBOUND: "true",
};

// tmpfs by default: on a VM whose disk takes milliseconds per fsync, every D1 and Durable Object
// commit would wait on the disk and the figures would measure the disk, not the code.
const ON_DISK = args.has("--disk") || !existsSync("/dev/shm");
const STATE = ON_DISK ? join(ROOT, ".bench/state") : `/dev/shm/leadflare-bench-${process.pid}`;
// BENCH_PORT_BASE moves every port (the default 28787 and up), so that two benches can run on one host.
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 28787);
const PORTS = { floor: PORT_BASE + 7, floorBaseline: PORT_BASE + 8, floorWorker: PORT_BASE + 9, counting: PORT_BASE + 6, direct: PORT_BASE, directBaseline: PORT_BASE + 3, dev: PORT_BASE + 1, devBaseline: PORT_BASE + 2, pairAcme: PORT_BASE + 4, pairAgency: PORT_BASE + 5, pairAcmeInspector: PORT_BASE + 10, pairAgencyInspector: PORT_BASE + 11, floorInspector: PORT_BASE + 12, directStraight: PORT_BASE + 13, steady: PORT_BASE + 14, readsInspector: PORT_BASE + 15, pipeline: PORT_BASE + 16, pipelineBaseline: PORT_BASE + 17, pipelineFloor: PORT_BASE + 18, pageFloor: PORT_BASE + 19, fanoutFloorSender: PORT_BASE + 20, fanoutFloorReceiver: PORT_BASE + 21, webhook: PORT_BASE + 22, pipelineInspector: PORT_BASE + 23 };
const CAPTURE = {
  path: "/api/v2.4/publisher/12/forms/35/campaign/601/leads?linkId=25",
  headers: { "X-Api-Key": "0c463164f0d4fcb604d8fd9f80737476", "Content-Type": "application/x-www-form-urlencoded" },
};
const AGENCY_CAPTURE = {
  path: "/api/v2.4/publisher/5/forms/71/campaign/701/leads?linkId=81",
  headers: { "X-Api-Key": "7e6d5c4b3a29180f7e6d5c4b3a291800", "Content-Type": "application/x-www-form-urlencoded" },
};

const log = (m) => console.error(`[bench] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? "–" : n.toLocaleString("en-GB", { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (a, b) => (b ? `${fmt((100 * a) / b)} %` : "–");

// Unique leads: duplicate_email_check would flag repeats, and real traffic has distinct emails.
let seq = 0;
const captureBody = (tag) => () => {
  const n = ++seq;
  return `form[firstName]=Grace&form[lastName]=Hopper&form[email]=${tag}.${n}%40northwind-leads.co.uk`;
};
const agencyBody = (tag) => () => {
  const n = ++seq;
  return `form[firstName]=Grace&form[surname]=Hopper&form[emailAddress]=${tag}.${n}%40inhouse-leads.co.uk`;
};

async function login(base, username, password) {
  const res = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username} at ${base}: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

/** Is a route there yet? Features still being built are reported as pending, never faked. */
async function probe(url, init) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { ok: res.status >= 200 && res.status < 300, status: res.status, text: text.slice(0, 300) };
}

// Bench profile, part 2: campaigns 601 and 701 stop taking leads at their fixture's leadsRequired
// (1,000), which a load run passes in seconds; the bench lifts it so every run captures for real.
async function loadBenchState(mf, enterprise, urls) {
  const db = await loadDemoState(mf, enterprise, urls);
  await db.prepare("UPDATE campaigns SET leads_required = 1000000000").run();
  return db;
}

const first = async (db, sql, ...binds) => (await db.prepare(sql).bind(...binds).first()) ?? {};

/**
 * Runs the baselines and capture at each concurrency: one round per concurrency, same order.
 * Capture and its goal baseline (one D1 insert) alternate in interleaved rounds; `settle()` runs
 * before each insert run (the direct phase waits there for capture's leads to be processed, so that
 * every insert run sees a quiet workerd, as the single run after the processing rows did).
 * `routerBase`: capture again through the local assets router, right after (printed beside).
 */
async function captureRounds(base, baselineBase, tag, routerBase, settle) {
  const rows = [];
  // Warm-up: first requests compile code and open the D1 files (insert and capture: interleaved()'s own).
  await load({ url: `${baselineBase}/json`, connections: 10, duration: 1 });
  for (const c of CONNECTIONS) {
    log(`${tag}: ${c} connections`);
    const json = await load({ url: `${baselineBase}/json`, connections: c, duration: DURATION });
    // leadflare's own floor: an unknown publisher-API path still goes through the global
    // middleware (rate limiting: one Durable Object call per policy) before its 404.
    const floor = await load({ url: `${base}/api/v2.4/publisher/12/bench-floor`, method: "POST", headers: CAPTURE.headers, body: "", connections: c, duration: DURATION, expect404: true });
    const { baseline: insert, subject: capture, rounds } = await interleaved({
      baseline: { url: `${baselineBase}/insert`, method: "POST", headers: { "Content-Type": "text/plain" }, makeBody: () => `hit ${++seq}`, connections: c },
      subject: { url: base + CAPTURE.path, method: "POST", headers: CAPTURE.headers, makeBody: captureBody(tag), connections: c },
      rounds: ROUNDS, seconds: DURATION / ROUNDS, settle,
    });
    const captureRouter = routerBase
      ? await load({ url: routerBase + CAPTURE.path, method: "POST", headers: CAPTURE.headers, makeBody: captureBody(`${tag}-router`), connections: c, duration: DURATION })
      : null;
    rows.push({ c, json, insert, floor, capture, captureRouter, rounds });
  }
  return rows;
}

/** Waits until `done()` reaches `target` (or the wait limit), looking every `everyMs`; returns when and how many. */
async function waitFor(done, target, startedAt, limitMs = WAIT_LIMIT_MS, everyMs = 50) {
  let n = await done();
  while (n < target && Date.now() - startedAt < limitMs) {
    await sleep(everyMs);
    n = await done();
  }
  return { n, at: Date.now() };
}

/** PROCESSING_LEADS leads captured at 10 connections, timed to the last one's final flag. */
async function measureProcessing(db, base, tag) {
  const before = (await first(db, "SELECT COUNT(*) AS n FROM leads WHERE campaign_id = 601")).n;
  const since = (await first(db, "SELECT COALESCE(MAX(id), 0) AS n FROM leads")).n;
  const t0 = Date.now();
  const cap = await load({ url: base + CAPTURE.path, method: "POST", headers: CAPTURE.headers, makeBody: captureBody(tag), connections: 10, amount: PROCESSING_LEADS });
  const tCaptured = cap.endedAt;
  const finalCount = async () =>
    (await first(db, "SELECT COUNT(*) AS n FROM leads WHERE campaign_id = 601 AND processr_status IN (900, 1000) AND flag IS NOT NULL")).n;
  const end = await waitFor(finalCount, before + cap.ok, t0);
  // When each lead reached its final flag, from D1: the outcome's updated_ts (the Processr's write;
  // campaign 601 has no job that writes the lead later). load() returns only on autocannon's next
  // whole second after the last answer, so polling from there would add up to a second to the lag
  // and hide the backlog at the last answer.
  const finals = await first(db, `SELECT MAX(updated_ts) AS at, SUM(updated_ts > ?2) AS late FROM leads
    WHERE campaign_id = 601 AND id > ?1 AND processr_status IN (900, 1000) AND flag IS NOT NULL`, since, tCaptured);
  const complete = end.n >= before + cap.ok;
  const finalAt = complete ? Math.max(finals.at, tCaptured) : end.at;
  const flags = (await db.prepare("SELECT flag, processr_status AS status, COUNT(*) AS n FROM leads WHERE campaign_id = 601 GROUP BY 1, 2").all()).results;
  const jobs = (await first(db, "SELECT COUNT(*) AS n FROM processr_job_leads")).n;
  return {
    leads: cap.ok, processed: end.n - before, seconds: (finalAt - t0) / 1000, captureSeconds: (tCaptured - t0) / 1000,
    captureRps: cap.ok / ((tCaptured - t0) / 1000), backlogAtCaptureEnd: (finals.late ?? 0) + before + cap.ok - end.n, lagSeconds: (finalAt - tCaptured) / 1000,
    complete, flags, jobResults: jobs,
  };
}

// ---------------------------------------------------------------------------------------------
async function directPhase(script, baselineScript) {
  const persistTo = join(STATE, "direct");
  const urls = { acme: `http://127.0.0.1:${PORTS.directStraight}`, agency: `http://127.0.0.1:${PORTS.pairAgency}` };
  const mf = await startDirect({ script, persistTo, port: PORTS.direct, straightPort: PORTS.directStraight, vars: { ...BENCH_VARS, BASE_URL: urls.acme }, baselineScript, baselinePort: PORTS.directBaseline });
  try {
    const db = await loadBenchState(mf, "acme", urls);
    const base = urls.acme;
    const routerBase = `http://127.0.0.1:${PORTS.direct}`;
    const baselineBase = `http://127.0.0.1:${PORTS.directBaseline}`;
    const out = {};

    const p = await probe(base + CAPTURE.path, { method: "POST", headers: CAPTURE.headers, body: captureBody("probe")() });
    if (!p.ok) {
      out.capturePending = `capture answered ${p.status}: ${p.text}`;
      return out;
    }

    // (2) Processing: a fixed batch of leads at 10 connections, then time to the last final flag;
    // first a few leads both ways, processed, so that neither measured run pays for compiling.
    for (const [b, tag] of [[base, "warm"], [routerBase, "warm-router"]]) {
      await load({ url: b + CAPTURE.path, method: "POST", headers: CAPTURE.headers, makeBody: captureBody(tag), connections: 10, amount: 50 });
    }
    await waitFor(async () => -(await first(db, "SELECT COUNT(*) AS n FROM leads WHERE processr_status < 900")).n, 0, Date.now());
    log(`processing: ${PROCESSING_LEADS} leads`);
    out.processing = await measureProcessing(db, base, "proc");
    log(`processing through the local assets router: ${PROCESSING_LEADS} leads`);
    out.processingRouter = await measureProcessing(db, routerBase, "proc-router");

    // (1) Capture against the baselines, after the processing backlog has drained.
    const pending = async () => (await first(db, "SELECT COUNT(*) AS n FROM leads WHERE processr_status < 900")).n;
    const drain = (since) => waitFor(async () => -(await pending()), 0, since);
    out.capture = await captureRounds(base, baselineBase, "direct", routerBase, () => drain(Date.now()));
    const tRounds = Date.now();
    out.backlogAfterCapture = await pending();
    const drained = await drain(tRounds);
    out.drainSeconds = (drained.at - tRounds) / 1000;
    out.backlogLeft = -drained.n;
    if (runs("transforms")) {
      // Last, on the drained queue: the same batch with value transforms on for campaign 601.
      log(`processing with value transforms: ${PROCESSING_LEADS} leads`);
      const config = await configureValueTransforms(db);
      const since = (await first(db, "SELECT COALESCE(MAX(id), 0) AS n FROM leads")).n;
      const p = await measureProcessing(db, base, "proc-vt");
      out.processingTransforms = { ...p, ...config, transformed: await transformedLeads(db, since) };
    }
    if (runs("lists")) {
      log("validation lists: CSV import and export, then processing with validation_list_check");
      const lists = await importAndExportList(base, await login(base, "admin@acme.test", "acme-admin-2026!"));
      await configureListCheck(db);
      out.processingLists = { ...(await measureProcessing(db, base, "proc-vl")), ...lists };
    }
    return out;
  } finally {
    await mf.dispose();
  }
}

/**
 * D1 round trips and CPU ms per lead (scripts/lib/bench-roundtrips.mjs): the counting bundle,
 * fresh state per run, PROCESSING_LEADS leads at 10 connections.
 */
// Each per-lead run starts from a fresh state directory of its own.
let perLeadRuns = 0;
async function perLeadPhase(countingScript, configure = async () => {}) {
  const base = `http://127.0.0.1:${PORTS.counting}`;
  return measurePerLead({
    leads: PROCESSING_LEADS,
    start: async ({ noConsumers }) => {
      const persistTo = join(STATE, `per-lead-${++perLeadRuns}`);
      // Straight to the Worker, like the goal rows (see the header): CPU per lead is the Worker's own.
      const mf = await startDirect({ script: countingScript, persistTo, port: PORTS.counting, vars: { ...BENCH_VARS, BASE_URL: base }, noConsumers, assets: false });
      try {
        const db = await loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` });
        await configure(db);
        return { mf, base, db };
      } catch (e) {
        await mf.dispose();
        throw e;
      }
    },
    capture: (n) => load({ url: base + CAPTURE.path, method: "POST", headers: CAPTURE.headers, makeBody: captureBody("rt"), connections: 10, amount: n }),
    processed: async (db) => (await first(db, "SELECT COUNT(*) AS n FROM leads WHERE processr_status IN (900, 1000) AND flag IS NOT NULL")).n,
  });
}

/** Capture at fixed fractions of capture alone (the per-lead phase's rate), the Processr running: is the backlog bounded? */
async function steadyPhase(script, captureAlone) {
  const base = `http://127.0.0.1:${PORTS.steady}`;
  const mf = await startDirect({ script, persistTo: join(STATE, "steady"), port: PORTS.steady, vars: { ...BENCH_VARS, BASE_URL: base }, assets: false });
  try {
    const db = await loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` });
    // Warm-up: compiled code and open D1 files, the leads processed before the first run.
    await load({ url: base + CAPTURE.path, method: "POST", headers: CAPTURE.headers, makeBody: captureBody("steady-warm"), connections: 10, amount: 100 });
    await waitFor(async () => -(await first(db, "SELECT COUNT(*) AS n FROM leads WHERE processr_status < 900")).n, 0, Date.now());
    return await measureSteady({
      db, base, capture: { ...CAPTURE, makeBody: captureBody("steady") }, campaignId: 601, captureAlone,
      // 5 %: a quiet enterprise's traffic, where a lead's wait for its queue batch shows alone.
      fractions: [0.05, 0.5, 0.8], seconds: DURATION, waitFor, log,
    });
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
const READ_QUERIES = (after, email) => [
  { name: "campaign, newest first", qs: "campaign.id=601&order[id]=desc&itemsPerPage=100" },
  { name: "… + createdTs[after] (last 30 days)", qs: `campaign.id=601&order[id]=desc&itemsPerPage=100&createdTs[after]=${encodeURIComponent(after)}` },
  { name: "email lookup", qs: `email=${encodeURIComponent(email)}`, randomEmail: true },
];

// The SQL of src/hydra/resource.ts getCollection for these filters (admin: no publisher scope):
// a count for hydra:totalItems, the page and the page's notes, job results and rates, in one batch.
const PLAN_SQL = (afterMs) => [
  // An admin's campaign-only filter takes hydra:totalItems from the campaign's running total.
  ["count (campaign)", "SELECT coalesce(sum(total_leads), 0) FROM campaign_statistics WHERE campaign_id = 601"],
  ["page (campaign)", "SELECT * FROM leads WHERE deleted_ts IS NULL AND campaign_id = 601 ORDER BY id DESC, id ASC LIMIT 100"],
  ["count (+createdTs)", `SELECT count(*) FROM leads WHERE deleted_ts IS NULL AND campaign_id = 601 AND created_ts >= ${afterMs}`],
  ["page (+createdTs)", `SELECT * FROM leads WHERE deleted_ts IS NULL AND campaign_id = 601 AND created_ts >= ${afterMs} ORDER BY id DESC, id ASC LIMIT 100`],
  ["count (email)", "SELECT count(*) FROM leads WHERE deleted_ts IS NULL AND lower(email) = lower('bulk42@northwind-leads.co.uk') AND email = 'bulk42@northwind-leads.co.uk'"],
  ["page (email)", "SELECT * FROM leads WHERE deleted_ts IS NULL AND lower(email) = lower('bulk42@northwind-leads.co.uk') AND email = 'bulk42@northwind-leads.co.uk' ORDER BY id ASC LIMIT 30"],
  // The page's relations in one statement of the page's own batch, from the page's query
  // materialized once (src/routes/v4/leads.ts preload); its lead data comes from the rows.
  ["notes, job results and rates of a page", `SELECT k, id, ref FROM (WITH page(id, campaign_id) AS MATERIALIZED (SELECT * FROM (SELECT id, campaign_id FROM leads WHERE deleted_ts IS NULL AND campaign_id = 601 ORDER BY id DESC, id ASC LIMIT 100))
     SELECT 0 AS k, id, lead_id AS ref FROM lead_notes WHERE lead_id IN (SELECT id FROM page)
     UNION ALL SELECT 1, id, lead_id FROM processr_job_lead_ids WHERE lead_id IN (SELECT id FROM page)
     UNION ALL SELECT 2, c.id, r.rate_to_base FROM campaigns c JOIN currencies r ON r.id = c.currency_id WHERE c.id IN (SELECT campaign_id FROM page)) ORDER BY k, id`],
];

async function readsPhase(script, baselineScript) {
  const persistTo = join(STATE, "reads");
  const base = `http://127.0.0.1:${PORTS.directStraight}`;
  const routerBase = `http://127.0.0.1:${PORTS.direct}`;
  const mf = await startDirect({ script, persistTo, port: PORTS.direct, straightPort: PORTS.directStraight, vars: BENCH_VARS, baselineScript, baselinePort: PORTS.directBaseline, extraWorkers: [await pageFloorWorker(PORTS.pageFloor)], ...(CPU_PROFILE ? { inspectorPort: PORTS.readsInspector } : {}) });
  const out = { sizes: [] };
  try {
    const db = await loadBenchState(mf, "acme", { acme: base, agency: "http://127.0.0.1:8788" });
    const baselineDb = await mf.getD1Database("BASE_DB", "baseline");
    const token = await login(base, "admin@acme.test", "acme-admin-2026!");
    const headers = { Authorization: `Bearer ${token}` };
    const p = await probe(`${base}/api/v4/leads?itemsPerPage=1`, { headers });
    if (!p.ok) return { pending: `GET /api/v4/leads answered ${p.status}: ${p.text}` };
    const now = Date.now();
    const afterMs = now - 30 * 86_400_000;
    const after = new Date(afterMs).toISOString().replace(/\.\d+Z$/, "+00:00");
    let loaded = 0;
    for (const size of READ_SIZES) {
      log(`reads: loading up to ${fmt(size)} leads`);
      const t = Date.now();
      await bulkLoadLeads(db, { from: loaded, count: size - loaded, now });
      const loadSeconds = (Date.now() - t) / 1000;
      await loadRowsBaseline(baselineDb, { from: loaded, count: size - loaded, now });
      loaded = size;
      await db.exec("ANALYZE");
      const json = await load({ url: `http://127.0.0.1:${PORTS.directBaseline}/json`, connections: 10, duration: DURATION });
      // The goal row (issue 17: the v4 page ≥ 50 % of its floor): the page of 100 (the first query)
      // and its floor, 100 indexed rows of a table of the same size in one statement, in interleaved rounds.
      const goal = await interleaved({
        baseline: { url: `http://127.0.0.1:${PORTS.directBaseline}/rows?campaign=601`, connections: 10 },
        subject: { url: `${base}/api/v4/leads?${READ_QUERIES(after, "")[0].qs}`, headers, connections: 10 },
        rounds: ROUNDS, seconds: DURATION / ROUNDS,
      });
      const rows = { ...goal.baseline, rounds: goal.rounds };
      const queries = [];
      for (const [i, q] of READ_QUERIES(after, "bulk1@northwind-leads.co.uk").entries()) {
        const res = await fetch(`${base}/api/v4/leads?${q.qs}`, { headers });
        const body = await res.json();
        const r = i === 0 ? goal.subject : await load({
          url: `${base}/api/v4/leads?${q.qs}`,
          headers,
          connections: 10,
          duration: DURATION,
          ...(q.randomEmail
            ? { makePath: () => `/api/v4/leads?email=bulk${Math.floor(Math.random() * size)}%40northwind-leads.co.uk` }
            : {}),
        });
        queries.push({ ...q, status: res.status, items: body["hydra:member"]?.length, total: body["hydra:totalItems"], ...r });
      }
      // The goal row's page once more, through the local assets router (printed beside it).
      const pageRouter = await load({ url: `${routerBase}/api/v4/leads?${READ_QUERIES(after, "")[0].qs}`, headers, connections: 10, duration: DURATION });
      log(`reads: where the page's time goes (${fmt(size)} leads)`);
      // --cpu-profile: the page of 100 once more, every isolate profiled (scripts/lib/bench-page-gap.mjs).
      const profile = CPU_PROFILE ? { inspectorPort: PORTS.readsInspector, script, dir: join(ROOT, ".bench/cpu-profiles") } : undefined;
      const gap = await measurePageGap({ base, baselineBase: `http://127.0.0.1:${PORTS.directBaseline}`, pageFloorBase: `http://127.0.0.1:${PORTS.pageFloor}`, headers, duration: DURATION, profile });
      if (!out.bulkFlag) {
        log(`bulk flag of ${fmt(BULK_FLAG_LEADS)} leads`);
        out.bulkFlag = await measureBulkFlag(base, headers, db, { count: BULK_FLAG_LEADS });
      }
      log(`reads: CSV export of campaign 601 (${fmt(size)}+ leads)`);
      const exported = await measureExport(`${base}/api/v4/leads?campaign.id=601`, headers);
      out.sizes.push({ size, loadSeconds, json, rows, queries, pageRouter, gap, exported });
    }
    out.plans = [];
    for (const [name, sql] of PLAN_SQL(afterMs)) {
      const rows = (await db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all()).results;
      out.plans.push({ name, sql, plan: rows.map((r) => r.detail).join("; ") });
    }
    return out;
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
async function devPhase(script, baselineScript) {
  // The same state as the direct runs, prepared the same way, then served by `wrangler dev`.
  const persistTo = join(STATE, "dev");
  const baselineState = join(STATE, "dev-baseline");
  const base = `http://127.0.0.1:${PORTS.dev}`;
  const mf = await startDirect({ script, persistTo, port: PORTS.dev, vars: BENCH_VARS });
  await loadBenchState(mf, "acme", { acme: base, agency: "http://127.0.0.1:8788" });
  await mf.dispose();
  const vars = { ...BENCH_VARS, ENVIRONMENT: "local" };
  const children = [
    startWrangler({ enterprise: "acme", port: PORTS.dev, inspectorPort: 29229, persistTo, name: "leadflare-bench", vars, output: "pipe" }),
    startWrangler({ enterprise: "acme", port: PORTS.devBaseline, inspectorPort: 29230, persistTo: baselineState, config: "bench/wrangler.toml", name: "leadflare-bench-baseline", output: "pipe" }),
  ];
  try {
    await waitForHttp(`${base}/`, children[0]);
    await waitForHttp(`http://127.0.0.1:${PORTS.devBaseline}/json`, children[1]);
    return { capture: await captureRounds(base, `http://127.0.0.1:${PORTS.devBaseline}`, "dev") };
  } finally {
    await Promise.all(children.map((c) => stopProcessGroup(c)));
  }
}

// ---------------------------------------------------------------------------------------------
let countingFanout;
async function fanoutPhase() {
  // The demo pair on workerd directly: leads captured by agency go to acme by Convertr Connect
  // with sync tags; acme's QA flags each one and calls agency back (Standard Webhooks).
  const urls = { acme: `http://127.0.0.1:${PORTS.pairAcme}`, agency: `http://127.0.0.1:${PORTS.pairAgency}` };
  // The counting bundle (scripts/lib/bench-roundtrips.mjs): agency's D1 round trips per lead, by invocation.
  // Bundled once per bench run; each run starts from fresh state (the fan-out floor's rounds run it again).
  const script = await (countingFanout ??= bundleCounting(".bench/counting-fanout"));
  for (const side of ["pair-acme", "pair-agency"]) rmSync(join(STATE, side), { recursive: true, force: true });
  const running = workerdPids();
  const inspector = (side) => (CPU_PROFILE ? { inspectorPort: side === "acme" ? PORTS.pairAcmeInspector : PORTS.pairAgencyInspector } : {});
  // Straight to each Worker, like the goal rows (see the header): callbacks and forwarded leads are API calls.
  const acme = await startDirect({ script, persistTo: join(STATE, "pair-acme"), port: PORTS.pairAcme, vars: { ...BENCH_VARS, BASE_URL: urls.acme }, assets: false, ...inspector("acme") });
  // Each side's own workerd, so that its CPU per lead is told apart.
  const acmePids = new Set([...workerdPids()].filter((p) => !running.has(p)));
  const agency = await startDirect({ script, persistTo: join(STATE, "pair-agency"), port: PORTS.pairAgency, vars: { ...BENCH_VARS, ENTERPRISE: "agency", BASE_URL: urls.agency }, assets: false, ...inspector("agency") });
  const agencyPids = new Set([...workerdPids()].filter((p) => !running.has(p) && !acmePids.has(p)));
  try {
    const acmeDb = await loadBenchState(acme, "acme", urls);
    const agencyDb = await loadBenchState(agency, "agency", urls);
    const p = await probe(urls.agency + AGENCY_CAPTURE.path, { method: "POST", headers: AGENCY_CAPTURE.headers, body: agencyBody("probe")() });
    if (!p.ok) return { pending: `agency capture answered ${p.status}: ${p.text}` };
    const delivered = async () => (await first(acmeDb, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'")).n;
    let polls = 0;
    const deliveredPolled = () => ((polls += 1), delivered());
    const forwarded = async () => (await first(acmeDb, "SELECT COUNT(*) AS n FROM leads WHERE publisher_id = 13")).n;
    // The probe lead must make the whole trip once, or the feature is not there yet.
    const probeTrip = await waitFor(delivered, 1, Date.now(), 60_000);
    if (probeTrip.n < 1) {
      return { pending: `no sync callback delivered within 60 s (acme received ${await forwarded()} forwarded lead(s))` };
    }
    log(`fan-out: ${FANOUT_LEADS} leads through agency`);
    const startDelivered = probeTrip.n;
    const trips0 = await roundTrips(urls.agency);
    const acmeTrips0 = await roundTrips(urls.acme);
    const statements0 = { acme: await d1Statements(urls.acme), agency: await d1Statements(urls.agency) };
    const timed0 = { acme: await timings(urls.acme), agency: await timings(urls.agency) };
    const cpu0 = workerdCpuMs();
    const sideCpu0 = { acme: workerdCpuMs(undefined, acmePids), agency: workerdCpuMs(undefined, agencyPids) };
    const profiling = CPU_PROFILE ? { acme: await startCpuProfiles(PORTS.pairAcmeInspector), agency: await startCpuProfiles(PORTS.pairAgencyInspector) } : null;
    const t0 = Date.now();
    const cap = await load({ url: urls.agency + AGENCY_CAPTURE.path, method: "POST", headers: AGENCY_CAPTURE.headers, makeBody: agencyBody("fan"), connections: 10, amount: FANOUT_LEADS });
    const end = await waitForFanout(deliveredPolled, startDelivered + cap.ok, t0);
    const span = await first(acmeDb, `SELECT MIN(created_ts) AS a, MAX(delivered_ts) AS b, COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered' AND created_ts >= ?`, t0);
    // Read before the profiles are stopped: workerd builds them with its own CPU.
    const cpuMs = workerdCpuMs() - cpu0;
    const sideCpuMs = { acme: workerdCpuMs(undefined, acmePids) - sideCpu0.acme, agency: workerdCpuMs(undefined, agencyPids) - sideCpu0.agency };
    // What the wait's own looks cost acme, stated beside its figure (which includes them): as many looks again, the pair idle.
    const pollCpu0 = workerdCpuMs(undefined, acmePids);
    for (let i = 0; i < polls; i++) await delivered();
    const pollCpuMs = workerdCpuMs(undefined, acmePids) - pollCpu0;
    let profiles = null;
    if (profiling) {
      profiles = {};
      for (const side of ["agency", "acme"]) {
        const got = await profiling[side]();
        writeProfiles(join(ROOT, ".bench/cpu-profiles"), side, got);
        profiles[side] = summarizeProfiles(got, script, cap.ok);
      }
    }
    const trips = diffTrips(await roundTrips(urls.agency), trips0);
    const acmeTrips = diffTrips(await roundTrips(urls.acme), acmeTrips0);
    const perLead = (counts) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / cap.ok]));
    const statementsPerLead = {
      agency: perLead(diffTrips(await d1Statements(urls.agency), statements0.agency)),
      acme: perLead(diffTrips(await d1Statements(urls.acme), statements0.acme)),
    };
    const timed = { acme: diffTimings(await timings(urls.acme), timed0.acme), agency: diffTimings(await timings(urls.agency), timed0.agency) };
    const alarms = FANOUT_ALARMS ? await alarmsLater(acmeDb, t0, { acme: acmePids, agency: agencyPids }, cap.ok) : null;
    // Where a lead's trip spends its time: at agency, capture → delivered to acme (the delivery's
    // job result); at acme, callback created → delivered to agency (means over the run's leads).
    const stages = await first(agencyDb, `SELECT AVG(r.finished_ts - l.created_ts) AS delivered, MAX(r.finished_ts - l.created_ts) AS slowest,
        AVG(d.attempts) AS attempts, COUNT(*) AS n FROM integration_deliveries d JOIN leads l ON l.id = d.lead_id
        JOIN job_results r ON r.lead_id = d.lead_id AND r.campaign_processr_job_id = d.campaign_processr_job_id
       WHERE d.status = 'delivered' AND l.created_ts >= ?`, t0);
    // Callback attempts that did not deliver (what sends a callback to the lead object's alarm, up to a minute later).
    const { results: callbackFailures } = await acmeDb
      .prepare(`SELECT substr(message, instr(message, '→'), 90) AS what, count(*) AS n FROM log_lines
                 WHERE type = 'provider' AND message LIKE 'Sync callback%' AND message NOT LIKE '%(delivered)%' GROUP BY what ORDER BY n DESC LIMIT 5`)
      .all();
    const callbackLag = await first(acmeDb, `SELECT AVG(delivered_ts - created_ts) AS lag, MAX(delivered_ts - created_ts) AS slowest,
        MAX(created_ts) - MIN(created_ts) AS createdSpan FROM webhook_deliveries WHERE status = 'delivered' AND created_ts >= ?`, t0);
    return {
      agencyTripsPerLead: Object.fromEntries(Object.entries(trips).map(([k, v]) => [k, v / cap.ok])), cpuMsPerLead: cpuMs / cap.ok, timed,
      sideCpuMsPerLead: { acme: sideCpuMs.acme / cap.ok, agency: sideCpuMs.agency / cap.ok }, polls, pollCpuMsPerLead: pollCpuMs / cap.ok,
      acmeTripsPerLead: Object.fromEntries(Object.entries(acmeTrips).map(([k, v]) => [k, v / cap.ok])),
      callbackFailures,
      stages: { ...stages, callbackLag: callbackLag.lag, callbackSlowest: callbackLag.slowest, callbacksCreatedOver: callbackLag.createdSpan },
      leads: cap.ok, callbacks: end.n - startDelivered, seconds: ((end.n >= startDelivered + cap.ok ? span.b : end.at) - t0) / 1000,
      callbacksPerSecond: span.n / ((span.b - span.a) / 1000), complete: end.n >= startDelivered + cap.ok,
      forwarded: (await forwarded()) - 1,
      profiles,
      statementsPerLead,
      alarms,
    };
  } finally {
    await Promise.all([acme.dispose(), agency.dispose()]);
  }
}

/**
 * --fanout-alarms: CPU per lead of each side while the safety alarms armed by the run's decisions
 * fire (from 5 s before the first is due, SAFETY_ALARM_MS after the first callback was created, to
 * 15 s after the last), less what the side used in as long a quiet stretch before them.
 */
async function alarmsLater(acmeDb, t0, pids, leads) {
  const made = await first(acmeDb, "SELECT MIN(created_ts) AS a, MAX(created_ts) AS b FROM webhook_deliveries WHERE created_ts >= ?", t0);
  const from = made.a + SAFETY_ALARM_MS - 5_000, to = made.b + SAFETY_ALARM_MS + 15_000;
  const cpu = () => Object.fromEntries(Object.entries(pids).map(([side, p]) => [side, workerdCpuMs(undefined, p)]));
  const quietMs = Math.min(to - from, from - Date.now());
  if (quietMs < 5_000) return { pending: "the run lasted too long for a quiet stretch before its alarms" };
  await sleep(from - quietMs - Date.now());
  const q0 = cpu();
  await sleep(quietMs);
  const q1 = cpu();
  await sleep(to - Date.now());
  const w = cpu();
  const perLead = (side) => (w[side] - q1[side] - ((q1[side] - q0[side]) * (to - from)) / quietMs) / leads;
  return { seconds: (to - from) / 1000, quietSeconds: quietMs / 1000, cpuMsPerLead: { acme: perLead("acme"), agency: perLead("agency") } };
}

// ---------------------------------------------------------------------------------------------
async function storagePhase(script) {
  const base = `http://127.0.0.1:${PORTS.direct}`;
  const mf = await startDirect({ script, persistTo: join(STATE, "storage"), port: PORTS.direct, vars: { ...BENCH_VARS, BASE_URL: base } });
  try {
    const db = await loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` });
    const storage = await measureStorage({ db, base, capture: CAPTURE, makeBody: captureBody("storage"), leads: PROCESSING_LEADS, waitFor, sleep, log });
    const token = await login(base, "admin@acme.test", "acme-admin-2026!");
    storage.archive = await measureArchive({ db, worker: await mf.getWorker("leadflare"), base, token, duration: DURATION, log });
    return storage;
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Why the goal rows are served straight to the Worker (the header of this file says where the docs say it).
const ROUTER_NOTE = "leadflare is served straight to its Worker here, as the baselines are: on Cloudflare the `run_worker_first` routing of `wrangler.toml`'s `[assets]` is done by the platform before the Worker runs and is not billed to it, while locally Miniflare emulates it with two JavaScript workers in front of ours. The same runs through that local router are printed beside (one workerd serves both ways).";
const failures = (x) => (x.failed ? ` · **${x.failed} failed** (${Object.entries(x.statuses).map(([k, v]) => `${k}: ${v}`).join(", ")})` : "");

/**
 * The page's statements floor beside the goal's (scripts/lib/bench-page-gap.mjs, a run of its own
 * after the rounds): the goal's baseline stays GET /rows; this one says how close the page is to
 * its own three statements and body without leadflare's code.
 */
function statementsFloor(s) {
  const step = s.gap?.steps?.find((x) => x.name === PAGE_STATEMENTS_FLOOR);
  const page = s.gap?.steps?.at(-1);
  if (!step || !page) return "";
  return ` The page's statements floor (the page's own count, rows and relations in one D1 batch on leadflare's D1, answering the page's body, \`bench/page-floor.ts\`; page-gap steps below, single runs): ${fmt(step.cpuMsPerRequest, 2)} CPU ms and ${fmt(step.rps)} req/s against the page's ${fmt(page.cpuMsPerRequest, 2)} ms and ${fmt(page.rps)} req/s (statements floor ÷ page: ${ratio(step.cpuMsPerRequest, page.cpuMsPerRequest)} in CPU, ${ratio(page.rps, step.rps)} in req/s).`;
}

function report(r) {
  const L = [];
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${fmt(totalmem() / 2 ** 30, 1)} GiB memory`;
  L.push(`Run: ${r.date} · \`${r.command}\` · ${machine} · Node ${process.version} · workerd via miniflare ${r.miniflare}, wrangler ${r.wrangler}`);
  L.push("");
  L.push(`Bench profile: rate limits raised to ${fmt(Number(BENCH_VARS.RATE_LIMIT_TOTAL))} calls per window (login, lead-result, total) and the outbound rate per client host to as many a minute, so that they never throttle the load generator or the fan-out (${MAX_IN_FLIGHT} calls at a time per host still hold), and campaigns' leadsRequired raised so that they never fill; load runs of ${DURATION} s, autocannon, one request in flight per connection. req/s counts 2xx answers only. Local D1/Durable Object state ${ON_DISK ? "on disk (`--disk`)" : "on tmpfs (`/dev/shm`; `--disk` for the disk)"}.`);
  L.push("");
  const captureTable = (title, rows) => {
    const router = rows.some((r) => r.captureRouter);
    L.push(`### ${title}`, "");
    L.push(`| conns | bare Hono JSON | one D1 insert | leadflare 404 (middleware only) | lead capture | capture / JSON | capture / insert |${router ? " lead capture through the local assets router | / insert |" : ""}`);
    L.push(`|---:|---|---|---|---|---:|---:|${router ? "---|---:|" : ""}`);
    for (const { c, json, insert, floor, capture, captureRouter, rounds } of rows) {
      const cell = (x) => `${fmt(x.rps)} req/s · p50 ${fmt(x.p50)} ms · p99 ${fmt(x.p99)} ms${failures(x)}`;
      const viaRouter = captureRouter ? ` ${cell(captureRouter)} | ${ratio(captureRouter.rps, insert.rps)} |` : "";
      const byRounds = rounds ? roundsRatio(rounds, fmt) : ratio(capture.rps, insert.rps);
      L.push(`| ${c} | ${cell(json)} | ${cell(insert)} | ${cell(floor)} | ${cell(capture)} | ${ratio(capture.rps, json.rps)} | ${byRounds} |${viaRouter}`);
    }
    const r0 = rows.find((r) => r.rounds)?.rounds;
    if (r0) L.push("", `One D1 insert and lead capture: ${roundsText(r0, fmt)} per concurrency (insert, capture, then capture, insert, …; \`scripts/lib/bench-interleaved.mjs\`), each side's req/s its answers over its seconds, p50/p99 over all its answers; capture / insert is the median of the per-round ratios (min–max in brackets). The other columns are single runs.`);
    L.push("");
  };
  const goals = goalsReport(r, fmt);
  if (goals) L.push("## Throughput goals (issue 17), this run", "", goals, "");
  const d = r.direct ?? {};
  if (r.direct) L.push("## 1. Lead capture", "", "`POST /api/v2.4/publisher/12/forms/35/campaign/601/leads?linkId=25` with `X-Api-Key`, a form-urlencoded body with a unique email per request. Baselines: `bench/baseline.ts` in the same workerd (its own D1).", "", ROUTER_NOTE, "");
  if (d.capturePending) L.push(`Pending: ${d.capturePending}`, "");
  else if (d.capture) {
    captureTable("workerd directly (Miniflare API), straight to the Worker — the figures the ratios are about", d.capture);
    L.push(`Processing ran in the same workerd meanwhile: ${fmt(d.backlogAfterCapture)} leads were still waiting for the Processr when the capture runs ended; the queue drained in ${fmt(d.drainSeconds, 1)} s${d.backlogLeft ? ` (${fmt(d.backlogLeft)} still pending at the ${WAIT_LIMIT_MS / 1000} s limit)` : ""}.`, "");
  }
  if (r.dev?.pending) L.push(`wrangler dev: ${r.dev.pending}`, "");
  else if (r.dev) captureTable("through `wrangler dev` (its proxy in front of the same runtime)", r.dev.capture);

  if (d.perLead) {
    const t = d.perLead.tripsPerLead, u = d.perLead.cpuMsPerLead;
    L.push(`### D1 round trips and CPU per lead (${fmt(d.perLead.leads)} leads, 10 connections${d.perLead.complete ? "" : ", **processing incomplete at the limit**"})`, "");
    L.push("Counted by a bench-only wrapper around the same Worker (`scripts/lib/bench-roundtrips.mjs`), in runs of their own, straight to the Worker; CPU is the workerd process's user + system time (D1, queues and Durable Objects included; the local assets router's share of a capture is in the floor section, `--only=floor`).", "");
    L.push("| | capture | processing | sync | other | total |", "|---|---:|---:|---:|---:|---:|");
    L.push(`| D1 round trips per lead | ${fmt(t.capture, 2)} | ${fmt(t.processing, 2)} | ${fmt(t.sync, 2)} | ${fmt(t.other, 2)} | **${fmt(t.total, 2)}** |`);
    L.push(`| CPU ms per lead | ${fmt(u.capture, 2)} | ${fmt(u.processing, 2)} | | | **${fmt(u.total, 2)}** |`);
    const vt = d.perLeadTransforms;
    if (vt) {
      L.push(`| D1 round trips per lead, value transforms on | ${fmt(vt.tripsPerLead.capture, 2)} | ${fmt(vt.tripsPerLead.processing, 2)} | ${fmt(vt.tripsPerLead.sync, 2)} | ${fmt(vt.tripsPerLead.other, 2)} | **${fmt(vt.tripsPerLead.total, 2)}** |`);
      L.push(`| CPU ms per lead, value transforms on | ${fmt(vt.cpuMsPerLead.capture, 2)} | ${fmt(vt.cpuMsPerLead.processing, 2)} | | | **${fmt(vt.cpuMsPerLead.total, 2)}** |`);
    }
    L.push("", `By invocation (end-to-end run): ${Object.entries(d.perLead.labels.endToEnd).map(([k, v]) => `${k} ${fmt(v / d.perLead.leads, 2)}`).join(", ")}. Capture alone (the Processr not running): ${fmt(d.perLead.captureOnlyPerSecond)} leads/s at 10 connections.`, "");
  }
  if (d.capture || r.steady) L.push("## 2. Processing", "");
  if (d.processing) {
    const p = d.processing;
    L.push("| leads | capture (10 conns) | capture → final flag | processing rate | backlog at the last capture answer | last final flag after the last answer |");
    L.push("|---:|---|---|---|---:|---|");
    const row = (p, what) =>
      L.push(`| ${fmt(p.leads)}${what} | ${fmt(p.captureSeconds, 1)} s (${fmt(p.captureRps)} leads/s) | ${fmt(p.seconds, 1)} s${p.complete ? "" : ` (**${fmt(p.processed)} done at the limit**)`} | **${fmt(p.processed / p.seconds, 1)} leads/s** | ${fmt(p.backlogAtCaptureEnd)} | ${fmt(p.lagSeconds, 1)} s |`);
    row(p, "");
    if (d.processingRouter) row(d.processingRouter, ", through the local assets router (same workerd, right after)");
    const vt = d.processingTransforms;
    if (vt) row(vt, `, value transforms on (${vt.rules} rules, ${fmt(vt.transformed)} leads got all their results)`);
    const vl = d.processingLists;
    if (vl) row(vl, `, validation_list_check on (every list, one of ${fmt(vl.entries)} entries)`);
    if (vl) L.push("", `Validation lists through v4: CSV import of ${fmt(vl.entries)} emails (${fmt(vl.csvBytes / 1e6, 1)} MB) ${fmt(vl.importSeconds, 1)} s, their CSV export ${fmt(vl.exportSeconds, 1)} s.`);
    L.push("", `Campaign 601's five QA jobs per lead (${fmt(p.jobResults)} job results written). Outcome: ${p.flags.map((f) => `${f.flag ?? "no flag"}/${f.status}: ${f.n}`).join(", ")}. Same-run baselines: one D1 insert at 10 connections ${fmt(d.capture?.[0]?.insert.rps)} req/s, capture alone ${fmt(d.capture?.[0]?.capture.rps)} req/s.`, "");
  } else if (d.capture) L.push("Pending: capture is not available, so nothing reaches the Processr.", "");
  if (r.steady) L.push("### Steady load (`scripts/lib/bench-steady.mjs`)", "", steadyReport(r.steady, fmt), "");

  if (r.reads) L.push("## 3. v4 reads", "");
  if (r.reads?.pending) L.push(`Pending: ${r.reads.pending}`, "");
  else if (r.reads) {
    L.push(ROUTER_NOTE, "");
    L.push("`GET /api/v4/leads` as the acme admin, 10 connections; leads bulk-loaded into campaign 601 (3 lead datas each) straight into D1. Email lookups pick a random loaded email per request.", "");
    L.push("| leads | query | req/s | p50 | p99 | items / totalItems | bare JSON baseline (same run) |");
    L.push("|---:|---|---:|---:|---:|---|---|");
    for (const s of r.reads.sizes) {
      for (const q of s.queries) {
        L.push(`| ${fmt(s.size)} | ${q.name} | ${fmt(q.rps, q.rps < 10 ? 1 : 0)}${failures(q)} | ${fmt(q.p50)} ms | ${fmt(q.p99)} ms | ${q.items ?? "–"} / ${fmt(q.total)} | ${fmt(s.json.rps)} req/s · p50 ${fmt(s.json.p50)} ms · p99 ${fmt(s.json.p99)} ms |`);
      }
    }
    L.push("", "The v4 campaign page against its floor: the baseline worker's `GET /rows` reads 100 rows of one campaign, newest first, through an index on (campaign_id, id), from a table with as many rows as the leads table, and answers them as JSON (one D1 statement; `bench/baseline.ts`). Goal (issue 17): ≥ 50 %.", "");
    L.push("| leads | v4 page of 100 (campaign, newest first) | 100 indexed rows baseline | ratio | the page through the local assets router | ratio |");
    L.push("|---:|---|---|---:|---|---:|");
    for (const s of r.reads.sizes) {
      const q = s.queries[0];
      const viaRouter = s.pageRouter ? `${fmt(s.pageRouter.rps)} req/s · p99 ${fmt(s.pageRouter.p99)} ms${failures(s.pageRouter)} | ${ratio(s.pageRouter.rps, s.rows.rps)}` : "– | –";
      const byRounds = s.rows.rounds ? roundsRatio(s.rows.rounds, fmt) : `**${ratio(q.rps, s.rows.rps)}**`;
      L.push(`| ${fmt(s.size)} | ${fmt(q.rps)} req/s · p99 ${fmt(q.p99)} ms | ${fmt(s.rows.rps)} req/s · p99 ${fmt(s.rows.p99)} ms${failures(s.rows)} | ${byRounds} | ${viaRouter} |`);
    }
    for (const s of r.reads.sizes) {
      const g = s.rows.rounds;
      if (g) L.push("", `At ${fmt(s.size)} leads the page and its floor ran in ${roundsText(g, fmt)} (floor, page, then page, floor, …; \`scripts/lib/bench-interleaved.mjs\`); the ratio is the median of the per-round ratios, min–max in brackets; each side's req/s its answers over its seconds, p99 over all its answers. workerd CPU per request in those rounds: page ${fmt(s.queries[0].cpuMsPerRequest, 2)} ms, floor ${fmt(s.rows.cpuMsPerRequest, 2)} ms (floor ÷ page ${ratio(s.rows.cpuMsPerRequest, s.queries[0].cpuMsPerRequest)}). The page's row in the table above is the same rounds; the other queries are single runs.${statementsFloor(s)}`);
    }
    L.push("");
    for (const s of r.reads.sizes) if (s.gap) L.push(...pageGapReport(s.size, s.gap));
    for (const s of r.reads.sizes) if (s.gap?.profile) L.push(`CPU profile of the v4 page of 100 at ${fmt(s.size)} leads, a run of its own (\`--cpu-profile\`; sampled every 1 ms, which costs CPU itself; files in \`.bench/cpu-profiles/\`), per page:`, "", ...profileReport("v4 page", s.gap.profile, fmt, "page"));
    L.push("", "CSV export (`GET /api/v4/leads?campaign.id=601` with `Accept: text/csv`, every lead of the campaign in one streamed response, read to the end by one client); memory is the resident set of the workerd process serving it, sampled every 50 ms:", "");
    L.push("| leads in the campaign | records | size | first byte | seconds | rows/s | workerd RSS before → peak |");
    L.push("|---:|---:|---:|---:|---:|---:|---|");
    for (const s of r.reads.sizes) {
      const e = s.exported;
      if (e.pending) L.push(`| ${fmt(s.size)} | Pending: ${e.pending} | | | | | |`);
      else L.push(`| ${fmt(s.size)} | ${fmt(e.rows)} | ${fmt(e.bytes / 2 ** 20, 1)} MiB | ${fmt(e.firstByteSeconds, 1)} s | ${fmt(e.seconds, 1)} | **${fmt(e.rowsPerSecond)}** | ${e.rssBeforeMiB === null ? "–" : `${fmt(e.rssBeforeMiB)} → ${fmt(e.rssPeakMiB)} MiB`} |`);
    }
    const b = r.reads.bulkFlag;
    L.push("", b?.pending ? `Bulk flag: pending: ${b.pending}` : `Bulk flag (\`POST /api/v4/leads-bulk-flag\`, a CSV of ${fmt(b.leads)} lead ids, Invalid with a reason; each lead through its Durable Object, 100 per bulk-queue message): 202 in ${fmt(b.acceptedMs)} ms, job done in ${fmt(b.seconds, 1)} s${b.complete ? "" : " (**incomplete at the limit**)"}: **${fmt(b.leadsPerSecond, 1)} leads/s** (${fmt(b.failed)} failed). Same-run baseline: processing ${fmt(r.direct?.processing ? r.direct.processing.processed / r.direct.processing.seconds : null, 1)} leads/s (one lead-object transition per lead as well, plus the QA jobs).`);
    L.push("", `Bulk load: ${r.reads.sizes.map((s) => `${fmt(s.size)} leads in ${fmt(s.loadSeconds, 1)} s`).join(", ")}.${READ_SIZES.length === 1 ? " 1,000,000 leads: run with `--million` (adds a few minutes)." : ""}`, "");
    L.push("Query plans (`EXPLAIN QUERY PLAN` of the SQL `src/hydra/resource.ts` issues for these filters):", "");
    L.push("| statement | plan |", "|---|---|");
    for (const p of r.reads.plans) L.push(`| ${p.name} | \`${p.plan}\` |`);
    L.push("");
  }

  if (r.fanout) L.push("## 4. Sync-tag fan-out (demo pair, workerd directly)", "");
  if (r.fanout?.pending) L.push(`Pending: ${r.fanout.pending}`, "");
  else if (r.fanout) {
    const f = r.fanout;
    L.push(`${fmt(f.leads)} leads captured by agency (10 connections) → Convertr Connect to acme (${fmt(f.forwarded)} arrived) → acme's QA → ${fmt(f.callbacks)} signed callbacks delivered to agency in ${fmt(f.seconds, 1)} s${f.complete ? "" : " (**incomplete at the limit**)"}: **${fmt(f.callbacksPerSecond, 1)} callbacks/s** (first delivery created → last delivered). Same-run baseline: processing alone ${fmt(d.processing ? d.processing.processed / d.processing.seconds : null, 1)} leads/s.`, "");
    if (f.agencyTripsPerLead) {
      const s = f.stages;
      L.push(`Agency's D1 round trips per lead (counting bundle): ${Object.entries(f.agencyTripsPerLead).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(", ")}; CPU of both workerds ${fmt(f.cpuMsPerLead, 2)} ms per lead${f.sideCpuMsPerLead ? ` (acme ${fmt(f.sideCpuMsPerLead.acme, 2)}, agency ${fmt(f.sideCpuMsPerLead.agency, 2)})` : ""}${f.polls ? `, of which the bench's own ${fmt(f.polls)} looks at acme's D1 for the end of the run about ${fmt(f.pollCpuMsPerLead, 2)} ms (at acme; as many again, measured after the run)` : ""}. Capture at agency → delivered to acme: mean ${fmt(s.delivered / 1000, 1)} s, slowest ${fmt(s.slowest / 1000, 1)} s (${fmt(s.attempts, 2)} attempts per delivery); acme's callbacks created over ${fmt(s.callbacksCreatedOver / 1000, 1)} s, each created → delivered in ${fmt(s.callbackLag / 1000, 2)} s on average (slowest ${fmt(s.callbackSlowest / 1000, 1)} s).`, "");
    }
    if (f.alarms?.pending) L.push(`The minute after (\`--fanout-alarms\`): pending: ${f.alarms.pending}.`, "");
    else if (f.alarms) L.push(`The minute after (\`--fanout-alarms\`), not in the figures above: while the lead objects' safety alarms armed by the run's decisions fired (${fmt(f.alarms.seconds)} s), acme used ${fmt(f.alarms.cpuMsPerLead.acme, 2)} and agency ${fmt(f.alarms.cpuMsPerLead.agency, 2)} CPU ms per lead more than in a quiet stretch of ${fmt(f.alarms.quietSeconds)} s before.`, "");
    if (f.callbackFailures?.length) L.push(`Acme's callback attempts not delivered: ${f.callbackFailures.map((x) => `${x.n} × "${x.what}"`).join("; ")}.`, "");
    if (f.acmeTripsPerLead) L.push(`Acme's D1 round trips per lead: ${Object.entries(f.acmeTripsPerLead).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(", ")}.`, "");
    if (f.statementsPerLead) {
      for (const [side, s] of Object.entries(f.statementsPerLead)) {
        const total = Object.values(s).reduce((a, b) => a + b, 0);
        L.push(`D1 statements per lead at ${side} (a batch's each): ${fmt(total, 2)} (${Object.entries(s).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(", ")}).`, "");
      }
    }
    if (f.timed) {
      // Wall time by what waited (counting bundle's timings): a request or batch, then its waits on D1, objects, fetches.
      L.push("Where the time goes (wall ms, mean per occurrence; `A · B` is B's wait inside A; \"already in flight\" is a mean count):", "");
      L.push("| worker | what | n | mean |", "|---|---|---:|---:|");
      for (const [who, t] of Object.entries(f.timed)) {
        for (const [k, v] of Object.entries(t).sort(([a], [b]) => a.localeCompare(b))) {
          if (v.n >= 10 && !k.startsWith("GET /__dev")) L.push(`| ${who} | ${k} | ${fmt(v.n)} | ${fmt(v.meanMs, 1)} |`);
        }
      }
      L.push("");
    }
    if (f.profiles) {
      L.push("CPU profiles of both workerds during the run (`--cpu-profile`; sampled every 1 ms, which costs CPU itself; files in `.bench/cpu-profiles/`):", "");
      for (const [side, summary] of Object.entries(f.profiles)) L.push(...profileReport(side, summary, fmt));
    }
  }
  if (r.parsers) L.push("## 5. Integration response parsers on hostile 1 MiB bodies (`scripts/bench-parsers.mjs`)", "", parsersReport(r.parsers), "");
  if (r.console) L.push("## 6. Console: first load and time to interactive (`scripts/bench-console.mjs`)", "", consoleReport(r.console), "");
  if (r.storage) L.push("## 7. Storage: D1 bytes and rows written per lead (`scripts/lib/bench-storage.mjs`)", "", storageReport(r.storage, fmt), "");
  if (r.captureFloor) L.push("## 8. Lead capture's floor: CPU per request (`scripts/lib/bench-capture-floor.mjs`)", "", captureFloorReport(r.captureFloor, fmt), "");
  if (r.captureFloor?.profile) L.push("CPU profile of a capture run of its own, straight to the Worker (`--cpu-profile`; sampled every 1 ms, which costs CPU itself; files in `.bench/cpu-profiles/`), per capture:", "", ...profileReport("capture", r.captureFloor.profile, fmt, "capture"));
  if (r.jobResults) L.push("## 9. A job's results and logs by job at scale (`scripts/lib/bench-job-results.mjs`)", "", jobResultsReport(r.jobResults, fmt), "");
  if (r.pipelineFloor) L.push("## 10. The pipeline's floor: capture, queue and consumer without our code (`scripts/lib/bench-pipeline-floor.mjs`)", "", pipelineFloorReport(r.pipelineFloor, fmt), "");
  if (r.fanoutFloor) L.push("## 11. The sync fan-out's floor without our code (`scripts/lib/bench-fanout-floor.mjs`)", "", fanoutFloorReport(r.fanoutFloor, d.processing ? d.processing.processed / d.processing.seconds : null, fmt), "");
  if (r.webhook) L.push("## 12. Campaign webhook capture next to the Publisher API's (`scripts/lib/bench-webhook.mjs`)", "", webhookReport(r.webhook, fmt), "");
  return L.join("\n");
}

async function main() {
  const started = Date.now();
  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(STATE, { recursive: true });
  log("bundling leadflare and the baseline worker");
  const [script, baselineScript] = await Promise.all([bundle("wrangler.toml", ".bench/build"), bundle("bench/wrangler.toml", ".bench/baseline")]);
  const r = {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    miniflare: JSON.parse(readFileSync(join(ROOT, "node_modules/miniflare/package.json"), "utf8")).version,
    wrangler: JSON.parse(readFileSync(join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version,
  };
  if (runs("direct") || runs("transforms") || runs("lists")) {
    log("direct: processing and capture");
    r.direct = await directPhase(script, baselineScript);
  }
  if ((runs("direct") && !r.direct.capturePending) || runs("roundtrips") || runs("transforms") || runs("steady")) {
    log("direct: D1 round trips and CPU per lead (counting bundle)");
    r.direct = { ...r.direct, perLead: await perLeadPhase(await bundleCounting()) };
  }
  if (runs("transforms")) {
    log("direct: D1 round trips and CPU per lead with value transforms on (counting bundle)");
    r.direct = { ...r.direct, perLeadTransforms: await perLeadPhase(await bundleCounting(), configureValueTransforms) };
  }
  if (runs("steady")) {
    log("steady load: capture at fixed rates with the Processr running");
    r.steady = await steadyPhase(script, r.direct.perLead.captureOnlyPerSecond);
  }
  if (runs("floor")) {
    r.captureFloor = await measureCaptureFloor({
      script, baselineScript, persistTo: join(STATE, "capture-floor"), vars: BENCH_VARS, log,
      ports: { leadflare: PORTS.floor, baseline: PORTS.floorBaseline, floor: PORTS.floorWorker, inspector: PORTS.floorInspector },
      ...(CPU_PROFILE ? { profileDir: join(ROOT, ".bench/cpu-profiles") } : {}),
      prepare: (mf, base) => loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` }),
      capture: { ...CAPTURE, makeBody: captureBody("floor") },
      duration: DURATION / 2,
    });
  }
  if (runs("pipeline")) {
    r.pipelineFloor = await measurePipelineFloor({
      script, baselineScript, persistTo: join(STATE, "pipeline-floor"), vars: BENCH_VARS, log, waitFor,
      ports: { leadflare: PORTS.pipeline, baseline: PORTS.pipelineBaseline, floor: PORTS.pipelineFloor, inspector: PORTS.pipelineInspector },
      ...(CPU_PROFILE ? { profileDir: join(ROOT, ".bench/cpu-profiles") } : {}),
      prepare: (mf, base) => loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` }),
      capture: { ...CAPTURE, makeBody: captureBody("pipeline") },
      leadflareBurst: (db, base) => measureProcessing(db, base, "pipeline-leadflare"),
      leads: PROCESSING_LEADS, rounds: ROUNDS, insertSeconds: DURATION / ROUNDS,
    });
  }
  if (runs("reads") || runs("jobresults")) {
    log("direct: job results by job");
    r.jobResults = await measureJobResults({
      script, persistTo: join(STATE, "job-results"), port: PORTS.direct, vars: BENCH_VARS, sizes: READ_SIZES, log,
      prepare: (mf, base) => loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` }),
      login: (base, username = "admin@acme.test", password = "acme-admin-2026!") => login(base, username, password),
    });
  }
  if (runs("reads")) {
    log("direct: v4 reads");
    r.reads = await readsPhase(script, baselineScript);
  }
  if (runs("dev")) {
    if (r.direct?.capturePending) r.dev = { pending: "capture not available" };
    else {
      log("wrangler dev: capture");
      r.dev = await devPhase(script, baselineScript);
    }
  }
  if (runs("fanout")) {
    log("demo pair: sync-tag fan-out");
    r.fanout = await fanoutPhase();
  }
  if (runs("fanoutfloor")) {
    log("sync fan-out's floor: sender and receiver without our code, in rounds with leadflare's fan-out");
    r.fanoutFloor = await measureFanoutFloor({
      persistTo: join(STATE, "fanout-floor"), ports: { sender: PORTS.fanoutFloorSender, receiver: PORTS.fanoutFloorReceiver },
      leads: FANOUT_LEADS, rounds: FANOUT_FLOOR_ROUNDS, leadflareRun: fanoutPhase, waitFor: waitForFanout, log,
    });
  }
  if (runs("webhook")) {
    r.webhook = await measureWebhookCapture({
      script, countingScript: await bundleCounting(), persistTo: join(STATE, "webhook"), port: PORTS.webhook, vars: BENCH_VARS, log,
      prepare: (mf, base) => loadBenchState(mf, "acme", { acme: base, agency: `http://127.0.0.1:${PORTS.pairAgency}` }),
      capture: CAPTURE, makeBody: captureBody, rounds: ROUNDS, seconds: DURATION / 2,
    });
  }
  if (runs("parsers")) {
    log("response parsers on hostile bodies");
    r.parsers = measureParsers();
  }
  if (runs("console")) {
    log("console in headless Chromium");
    r.console = await measureConsole(log);
  }
  if (runs("storage")) {
    log("storage: bytes and rows written per lead");
    r.storage = await storagePhase(script);
  }
  const text = report(r);
  console.log(text);
  mkdirSync(join(ROOT, ".bench"), { recursive: true });
  writeFileSync(join(ROOT, ".bench/last-run.json"), JSON.stringify(r, null, 2));
  if (args.has("--write") && !ONLY) {
    const file = join(ROOT, "BENCHMARKS.md");
    const md = readFileSync(file, "utf8");
    const [head, rest] = md.split("<!-- bench:start -->");
    const tail = rest.split("<!-- bench:end -->")[1];
    writeFileSync(file, `${head}<!-- bench:start -->\n${text}\n<!-- bench:end -->${tail}`);
    log("BENCHMARKS.md updated");
  }
  rmSync(STATE, { recursive: true, force: true });
  log(`done in ${fmt((Date.now() - started) / 1000)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
