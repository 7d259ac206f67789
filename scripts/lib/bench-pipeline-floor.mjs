// The whole pipeline's floor on this runtime (issue 17, `--only=pipeline`): what capture, the queue
// and a consumer cost end to end with none of leadflare's code, next to leadflare's end to end and
// one D1 insert, in one workerd and one run. The floor worker below, in leadflare's workerd and
// bound to leadflare's D1, does per lead only what the pipeline cannot do without:
//   - capture: the lead row (a copy of one leadflare captured) inserted into floor_leads, the leads
//     table's DDL with every index, in a D1 batch of as many statements as capture's write batch has,
//     answered 201, then the lead's message sent with the other leads answered within capture's
//     ENQUEUE_DELAY_MS in one sendBatch (src/leads/capture-enqueue.ts's sharing, its constants);
//   - processing: a consumer of its own queue with the Processr's batch settings (wrangler.toml's,
//     read through wrangler) that per queue batch reads the batch's leads in one statement, then
//     writes in one D1 batch one trail row per lead (floor_log_lines, log_lines' DDL with its
//     indexes; the trail leadflare wrote for a lead of campaign 601, five QA jobs) and every lead's
//     final status and flag (one statement each, over the batch, as the Processr's writes are), and
//     acks the batch.
// A fourth side splits the floor: the same captures into floor_leads_held, their messages sent to a
// queue no consumer reads, timed to the last answer (capture's floor alone, as leadflare's capture
// alone is measured with its Processr off: scripts/lib/bench-roundtrips.mjs).
// Left out: the rate limiter, the API key, form and campaign checks, the lead data's validation,
// the QA jobs themselves, the lead object, statistics, notes and events.
// Measured as the end-to-end goal row is (scripts/bench.mjs measureProcessing): a burst of `leads`
// captures at 10 connections, timed from its first request to the last lead's final write
// (updated_ts, from D1). The sides alternate in rounds (insert, floor, captures alone, leadflare, then
// the reverse, …; one D1 insert is bench/baseline.ts's), so a drift of the shared host falls on every
// side; each ratio is the median of the per-round ratios.
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ENQUEUE_BATCH_MAX, ENQUEUE_DELAY_MS } from "../../src/leads/capture-enqueue.ts";
import { CAPTURE_BATCH_STATEMENTS, copiedDdl, floorLeadTables, LEAD_INSERT_SOURCE, leadflareD1 } from "./bench-capture-floor.mjs";
import { workerdCpuMs } from "./bench-roundtrips.mjs";
import { profileReport, startCpuProfiles, summarizeProfiles, writeProfiles } from "./bench-cpu-profile.mjs";
import { startDirect } from "./direct.mjs";
import { DEV_ENV, ROOT } from "./enterprise.mjs";
import { load } from "./load.mjs";
import { median } from "./stats.mjs";

const FLOOR_QUEUE = "bench-pipeline-floor";
const HELD_QUEUE = "bench-pipeline-floor-held";

/** The Processr queue's consumer settings as wrangler.toml gives them to Miniflare. */
export function processrConsumer() {
  const { queueProducers, queueConsumers } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"), DEV_ENV).workerOptions;
  const { maxBatchSize, maxBatchTimeout } = queueConsumers[queueProducers.PROCESSR_QUEUE.queueName];
  return { maxBatchSize, maxBatchTimeout };
}

// A floor worker's queue send as capture shares it (JavaScript source): sendSoon(queue, leadId)
// sends every lead pending for `queue` ENQUEUE_DELAY_MS from now in sendBatch calls of at most
// ENQUEUE_BATCH_MAX. The message body is the Processr's ({ type, leadId }), so a send carries as
// many bytes. Also used by scripts/lib/bench-fanout-floor.mjs.
export const SEND_SOON_SOURCE = `
const pending = new Map();
async function sendSoon(queue, leadId) {
  const ids = pending.get(queue) ?? pending.set(queue, []).get(queue);
  ids.push(leadId);
  await new Promise((resolve) => setTimeout(resolve, ${ENQUEUE_DELAY_MS}));
  while (ids.length > 0) await queue.sendBatch(ids.splice(0, ${ENQUEUE_BATCH_MAX}).map((id) => ({ body: { type: "process", leadId: id } })));
}`;

const PIPELINE_WORKER = `${LEAD_INSERT_SOURCE}
${SEND_SOON_SOURCE}
let trailRow;
export default {
  // POST /held: into floor_leads_held, the message to the queue no consumer reads.
  async fetch(request, env, ctx) {
    const held = new URL(request.url).pathname === "/held";
    const { meta } = await insertLead(env.LEADS_DB, held ? "floor_leads_held" : "floor_leads", await request.text(), true);
    ctx.waitUntil(sendSoon(held ? env.HELD_QUEUE : env.FLOOR_QUEUE, meta.last_row_id));
    return Response.json({ data: meta.last_row_id, status: 201 }, { status: 201 });
  },
  async queue(batch, env) {
    const db = env.LEADS_DB;
    const ids = JSON.stringify(batch.messages.map((m) => m.body.leadId));
    trailRow ??= db.prepare("SELECT trail FROM floor_trail_row").first();
    const [{ results: leads }, { trail }] = await Promise.all([db.prepare("SELECT * FROM floor_leads WHERE id IN (SELECT value FROM json_each(?1))").bind(ids).all(), trailRow]);
    const now = Date.now();
    await db.batch([
      db.prepare("INSERT INTO floor_log_lines (type, lead_id, campaign_id, level, message, created_ts, trail) SELECT 'processr', r.value ->> 0, r.value ->> 1, 'info', '', ?2, r.value ->> 2 FROM json_each(?1) r ORDER BY r.key")
        .bind(JSON.stringify(leads.map((l) => [l.id, l.campaign_id, trail])), now),
      db.prepare("UPDATE floor_leads SET processr_status = 1000, qa_result = 'Valid', flag = 'Valid', processing_counter = processing_counter + 1, updated_ts = ?2 WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(ids, now),
    ]);
    batch.ackAll();
  },
};`;

/**
 * The floor's tables in leadflare's D1, from one lead leadflare captured (`captureOne`, resolving to
 * its id) and processed: floor_leads and floor_lead_row (scripts/lib/bench-capture-floor.mjs; the
 * row copied right after the capture's answer, before the Processr's batch wait is over, and checked
 * to be as captured, up to three captures), floor_leads_held (the same DDL, for the captures no consumer processes),
 * floor_log_lines (log_lines' DDL, its lead_id a reference to floor_leads) and floor_trail_row,
 * that lead's Processr trail.
 */
async function floorTables(db, captureOne, waitFor) {
  let tables;
  // On a loaded host the Processr can be quicker than the copy: then the copy starts again from a new capture.
  for (let attempt = 1; ; attempt++) {
    tables = await floorLeadTables(db, captureOne);
    const row = await db.prepare("SELECT processr_status AS status, flag FROM floor_lead_row").first();
    if (row?.status === 0 && row.flag === null) break;
    if (attempt === 3) throw new Error(`pipeline floor: the copied lead ${tables.leadId} is not as captured: ${JSON.stringify(row)}`);
    await db.batch(["floor_leads", "floor_leads_unindexed", "floor_lead_row"].map((t) => db.prepare(`DROP TABLE ${t}`)));
  }
  const { indexes, leadId } = tables;
  const trailOf = db.prepare("SELECT trail FROM log_lines WHERE lead_id = ?1 AND trail IS NOT NULL").bind(leadId);
  const trailed = await waitFor(async () => ((await trailOf.first()) ? 1 : 0), 1, Date.now(), 30_000);
  if (trailed.n !== 1) throw new Error(`pipeline floor: lead ${leadId} got no Processr trail within 30 s`);
  const logLines = await copiedDdl(db, "log_lines", new Map([["log_lines", "floor_log_lines"], ["leads", "floor_leads"]]));
  const held = await copiedDdl(db, "leads", new Map([["leads", "floor_leads_held"]]));
  await db.batch([
    ...[logLines, held].flatMap((t) => [t.create, ...t.indexes.map((d) => d.sql)]).map((sql) => db.prepare(sql)),
    db.prepare(`CREATE TABLE floor_trail_row AS SELECT trail FROM log_lines WHERE lead_id = ${Number(leadId)} AND trail IS NOT NULL`),
  ]);
  return { leadIndexes: indexes, trailIndexes: logLines.indexes.map((d) => d.name), trailChars: (await trailOf.first()).trail.length };
}

/** One floor burst, as measureProcessing times leadflare's: first request → the last lead's final write. */
async function floorBurst({ db, url, headers, makeBody, leads, waitFor }) {
  const since = (await db.prepare("SELECT coalesce(max(id), 0) AS n FROM floor_leads").first()).n;
  const t0 = Date.now();
  const cap = await load({ url, method: "POST", headers, makeBody, connections: 10, amount: leads });
  const done = db.prepare("SELECT count(*) AS n, max(updated_ts) AS at FROM floor_leads WHERE id > ?1 AND processr_status = 1000").bind(since);
  const end = await waitFor(async () => (await done.first()).n, cap.ok, t0);
  const complete = end.n >= cap.ok;
  const finalAt = complete ? Math.max((await done.first()).at, cap.endedAt) : end.at;
  return { leads: cap.ok, failed: cap.failed, processed: end.n, complete, seconds: (finalAt - t0) / 1000, captureSeconds: (cap.endedAt - t0) / 1000 };
}

/** A burst to POST /held: capture's floor alone (no consumer), timed to its last answer. */
async function heldBurst({ url, headers, makeBody, leads }) {
  const t0 = Date.now();
  const cap = await load({ url, method: "POST", headers, makeBody, connections: 10, amount: leads });
  if (cap.failed) throw new Error(`pipeline floor: ${cap.failed} of ${leads} held captures failed`);
  return { leads: cap.ok, processed: cap.ok, seconds: (cap.endedAt - t0) / 1000 };
}

/** `run()`'s result with its rate and the workerd CPU it took per lead (the bench's D1 polls included, on both sides alike). */
async function withCpu(run) {
  const cpu0 = workerdCpuMs();
  const r = await run();
  const per = r.leads ?? r.ok;
  return { ...r, rate: r.rate ?? r.processed / r.seconds, cpuMs: (workerdCpuMs() - cpu0) / per };
}

/** Every floor lead captured was processed once: one final status, processing_counter 1, one trail row. Throws otherwise. */
async function exactlyOnce(db, captured) {
  const c = await db.prepare(`SELECT count(*) AS leads, coalesce(sum(processr_status = 1000), 0) AS final, coalesce(sum(processing_counter = 1), 0) AS once,
      (SELECT count(*) FROM floor_log_lines) AS trails, (SELECT count(DISTINCT lead_id) FROM floor_log_lines) AS trailLeads FROM floor_leads`).first();
  const check = { ...c, captured };
  if (Object.values(check).some((n) => n !== captured)) throw new Error(`pipeline floor: leads not processed exactly once: ${JSON.stringify(check)}`);
  return check;
}

const ratios = (rounds, a, b) => {
  const per = rounds.map((r) => r[a].rate / r[b].rate);
  return { median: median(per), min: Math.min(...per), max: Math.max(...per), perRound: per };
};
/** One side's rounds together: its leads (answers) over its seconds, CPU per lead, and a burst's captures over their seconds. */
const pooled = (rounds, side) => {
  const xs = rounds.map((r) => r[side]);
  const sum = (f) => xs.reduce((s, x) => s + f(x), 0);
  const n = sum((x) => x.leads ?? x.ok);
  const bursts = xs.every((x) => x.captureSeconds) ? { leads: n, captureSeconds: sum((x) => x.captureSeconds) } : {};
  return { rate: sum((x) => x.processed ?? x.ok) / sum((x) => x.seconds), cpuMs: sum((x) => x.cpuMs * (x.leads ?? x.ok)) / n, ...bursts };
};

/**
 * `prepare(mf, base)` loads leadflare's bench state and resolves to its D1; `capture`: { path,
 * headers, makeBody }; `leadflareBurst(db, base)`: the end-to-end row's measurement (scripts/bench.mjs
 * measureProcessing) of `leads` leads; `rounds` rounds (at least 3), each with a one-insert run of
 * `insertSeconds`; `waitFor(done, target, since, limitMs?)` as scripts/bench.mjs's.
 * ports: { leadflare, baseline, floor }.
 */
export async function measurePipelineFloor({ script, baselineScript, ports, persistTo, vars, prepare, capture, leadflareBurst, leads, rounds, insertSeconds, waitFor, log, profileDir }) {
  const base = `http://127.0.0.1:${ports.leadflare}`;
  const consumer = processrConsumer();
  const mf = await startDirect({
    script, persistTo, port: ports.leadflare, vars: { ...vars, BASE_URL: base }, assets: false, baselineScript, baselinePort: ports.baseline,
    ...(profileDir ? { inspectorPort: ports.inspector } : {}),
    extraWorkers: [{
      name: "pipeline-floor", modules: true, script: PIPELINE_WORKER, compatibilityDate: "2026-10-20",
      d1Databases: { LEADS_DB: leadflareD1() },
      queueProducers: { FLOOR_QUEUE: { queueName: FLOOR_QUEUE }, HELD_QUEUE: { queueName: HELD_QUEUE } },
      queueConsumers: { [FLOOR_QUEUE]: consumer },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: ports.floor }],
    }],
  });
  try {
    const db = await prepare(mf, base);
    const tables = await floorTables(db, async () => {
      const res = await fetch(base + capture.path, { method: "POST", headers: capture.headers, body: capture.makeBody() });
      if (res.status !== 201) throw new Error(`pipeline floor: a capture answered ${res.status}: ${await res.text()}`);
      return (await db.prepare("SELECT max(id) AS id FROM leads").first()).id;
    }, waitFor);
    let captured = 0;
    const sides = {
      floor: async () => {
        const r = await withCpu(() => floorBurst({ db, url: `http://127.0.0.1:${ports.floor}/`, headers: capture.headers, makeBody: capture.makeBody, leads, waitFor }));
        captured += r.leads;
        if (!r.complete || r.failed) throw new Error(`pipeline floor: ${r.processed} of ${r.leads} leads processed, ${r.failed} captures failed`);
        return r;
      },
      held: () => withCpu(() => heldBurst({ url: `http://127.0.0.1:${ports.floor}/held`, headers: capture.headers, makeBody: capture.makeBody, leads })),
      leadflare: () => withCpu(() => leadflareBurst(db, base)),
      insert: () => withCpu(() => load({ url: `http://127.0.0.1:${ports.baseline}/insert`, method: "POST", headers: { "Content-Type": "text/plain" }, makeBody: () => `hit ${Date.now()}`, connections: 10, duration: insertSeconds }).then((r) => ({ ...r, rate: r.rps }))),
    };
    log(`pipeline floor: warm-up (one burst of ${leads} leads each side, ${insertSeconds} s of inserts)`);
    for (const side of ["insert", "floor", "held", "leadflare"]) await sides[side]();
    const out = [];
    for (let i = 0; i < rounds; i++) {
      log(`pipeline floor: round ${i + 1} of ${rounds}`);
      const round = {};
      for (const side of i % 2 ? ["leadflare", "held", "floor", "insert"] : ["insert", "floor", "held", "leadflare"]) round[side] = await sides[side]();
      out.push(round);
    }
    // --cpu-profile: one more leadflare burst with every isolate sampled, after the rounds (sampling costs CPU itself).
    let profile;
    if (profileDir) {
      log("pipeline floor: a profiled leadflare burst");
      const stop = await startCpuProfiles(ports.inspector);
      await leadflareBurst(db, base);
      const profiles = await stop();
      writeProfiles(profileDir, "pipeline-leadflare", profiles);
      profile = summarizeProfiles(profiles, script, leads);
    }
    return {
      leads, consumer, ...tables, rounds: out, check: await exactlyOnce(db, captured), profile,
      floor: { ...pooled(out, "floor"), ofInsert: ratios(out, "floor", "insert") },
      leadflare: { ...pooled(out, "leadflare"), ofInsert: ratios(out, "leadflare", "insert"), ofFloor: ratios(out, "leadflare", "floor") },
      insert: pooled(out, "insert"), held: pooled(out, "held"),
    };
  } finally {
    await mf.dispose();
  }
}

/** "31 % (29–35 %)": a median per-round ratio and its spread. */
export const ratioText = (r, fmt) => `${fmt(100 * r.median)} % (${fmt(100 * r.min)}–${fmt(100 * r.max)} %)`;

/** The section's Markdown. */
export function pipelineFloorReport(f, fmt) {
  // A burst's captures alone (to its last answer), beside its rate to the last final write.
  const answers = (x) => (x.captureSeconds ? ` (answers ${fmt(x.leads / x.captureSeconds)}/s)` : "");
  const side = (x) => `${fmt(x.rate, 1)}${answers(x)} · ${fmt(x.cpuMs, 2)} ms${x.complete === false ? ` (**${fmt(x.processed)} of ${fmt(x.leads)} processed at the limit**)` : ""}`;
  return [
    `A floor worker in leadflare's workerd, bound to leadflare's D1, none of leadflare's code: per POST the lead row leadflare captured (copied into \`floor_leads\`, the leads table with its ${indexCount(f.leadIndexes)}) inserted in a D1 batch of ${CAPTURE_BATCH_STATEMENTS} statements (as capture's), answered 201, its message sent after the answer with the others of ${ENQUEUE_DELAY_MS} ms in one \`sendBatch\` (as capture shares it); a consumer with the Processr's settings (batches of ${f.consumer.maxBatchSize}, ${f.consumer.maxBatchTimeout} s wait, from \`wrangler.toml\`) reading the batch's leads in one statement and writing in one D1 batch a trail row per lead (\`floor_log_lines\`, log_lines with its ${indexCount(f.trailIndexes)}; a real trail of campaign 601, ${fmt(f.trailChars)} characters) and every lead's final status and flag, then acking. Not in it: rate limits, the API key and form checks, validation, the QA jobs, the lead object, statistics, notes, events.`,
    "",
    `Each side a burst of ${fmt(f.leads)} captures at 10 connections, leads/s from the first request to the last lead's final write (as the end-to-end goal row), in brackets the captures' own rate (to the last answer), workerd CPU ms per lead (the bench's D1 polls included on both sides); one D1 insert (\`bench/baseline.ts\`) req/s over ${fmt(f.rounds[0].insert.seconds)} s. The floor's captures alone: the same burst, its messages sent to a queue no consumer reads, req/s to the last answer. Rounds alternate (insert, floor, floor's captures alone, leadflare, then the reverse, …) after a warm-up burst of each; ratios are medians of the per-round ratios (min–max).`,
    "",
    "| round | one D1 insert, req/s · CPU ms | pipeline floor, leads/s · CPU ms per lead | the floor's captures alone, req/s · CPU ms | leadflare end to end, leads/s · CPU ms per lead | floor / insert | leadflare / insert | leadflare / floor |",
    "|---:|---|---|---|---|---:|---:|---:|",
    ...f.rounds.map((r, i) => `| ${i + 1} | ${side(r.insert)} | ${side(r.floor)} | ${side(r.held)} | ${side(r.leadflare)} | ${fmt((100 * r.floor.rate) / r.insert.rate)} % | ${fmt((100 * r.leadflare.rate) / r.insert.rate)} % | ${fmt((100 * r.leadflare.rate) / r.floor.rate)} % |`),
    `| all | ${side(f.insert)} | ${side(f.floor)} | ${side(f.held)} | ${side(f.leadflare)} | **${ratioText(f.floor.ofInsert, fmt)}** | **${ratioText(f.leadflare.ofInsert, fmt)}** | **${ratioText(f.leadflare.ofFloor, fmt)}** |`,
    "",
    // workerd runs all of it on about one core, so a rate follows its CPU per lead; the CPU view is the steadier on a shared host.
    `CPU per lead over all rounds: one insert ${fmt(f.insert.cpuMs, 2)} ms, the pipeline floor ${fmt(f.floor.cpuMs, 2)} ms (the insert's CPU is ${fmt((100 * f.insert.cpuMs) / f.floor.cpuMs)} % of it; its captures alone ${fmt(f.held.cpuMs, 2)} ms, so the queue's delivery and the consumer ${fmt(f.floor.cpuMs - f.held.cpuMs, 2)} ms), leadflare end to end ${fmt(f.leadflare.cpuMs, 2)} ms (${fmt((100 * f.insert.cpuMs) / f.leadflare.cpuMs)} %): leadflare adds ${fmt(f.leadflare.cpuMs - f.floor.cpuMs, 2)} ms per lead to the floor's (its code and the D1 work the floor leaves out).`,
    "",
    `Every floor lead processed exactly once, counted in D1 at the end: ${fmt(f.check.captured)} captured (warm-up included), ${fmt(f.check.final)} at their final status, ${fmt(f.check.once)} with processing_counter 1, ${fmt(f.check.trails)} trail rows for ${fmt(f.check.trailLeads)} leads.`,
    ...(f.profile ? ["", `CPU profile of one more leadflare burst of ${fmt(f.leads)} leads, capture to final flag, after the rounds (\`--cpu-profile\`; sampled every 1 ms, which costs CPU itself; files in \`.bench/cpu-profiles/\`), per lead:`, "", ...profileReport("pipeline", f.profile, fmt, "lead")] : []),
  ].join("\n");
}

const indexCount = (indexes) => `${indexes.length} index${indexes.length === 1 ? "" : "es"}`;
