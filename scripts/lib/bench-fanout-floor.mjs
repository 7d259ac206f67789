// The sync fan-out's floor on this runtime (issue 17, `--only=fanoutfloor`): the fan-out row's
// trip with none of leadflare's code, next to leadflare's fan-out in alternating rounds of one run.
// Two workerds, as the demo pair has (one per enterprise), each with a worker of its own D1:
//   - the sender (agency's side): a burst of leads enqueued on its own queue; its consumer, with the
//     Processr's batch settings (wrangler.toml's, read through wrangler), POSTs each message's lead
//     to the receiver over HTTP (a real fetch to 127.0.0.1, as Convertr Connect delivers), at most
//     as many in flight as leadflare's outbound limiter allows per host, and acks each delivered one;
//     POST /callbacks checks a callback's HMAC-SHA256 signature and records its leads, one row each,
//     in one statement; with the processing pass, the consumer first writes a row per lead of its
//     batch (one statement) and hands each lead off as a message of its own on the same queue, as
//     agency's Processr hands a lead to Convertr Connect;
//   - the receiver (acme's side): POST /leads inserts the lead's row and enqueues it for its own
//     consumer, sent with the others of a few milliseconds in one sendBatch (capture's sharing,
//     SEND_SOON_SOURCE); that consumer, same settings, writes every lead of its batch (its flag and
//     time, one statement, returning the sender's ids) and POSTs ONE signed callback per batch back
//     to the sender, then acks.
// Left out: capture at the sender, the API key, campaign and form checks, validation, the QA jobs,
// the lead objects, the outbound limiter's Durable Object, the delivery's and callback's records and
// logs, statistics. What is left is what the trip cannot do without: HTTP both ways, two queues and
// their consumers, a row written per lead on each side.
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { processrConsumer, SEND_SOON_SOURCE } from "./bench-pipeline-floor.mjs";
import { workerdCpuMs, workerdPids } from "./bench-roundtrips.mjs";
import { DEV_ENV, ROOT } from "./enterprise.mjs";
import { quantile } from "./stats.mjs";

const COMPATIBILITY_DATE = "2026-10-20";
// Convertr Connect's outbound limit per client host, as the demo pair runs with it (wrangler.toml's
// OUTBOUND_HOST_CONCURRENCY; the bench overrides only the rate): read, so that the floor never
// sends more at once than leadflare may.
export const MAX_IN_FLIGHT = Number(unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"), DEV_ENV).workerOptions.bindings.OUTBOUND_HOST_CONCURRENCY);
const SECRET = "bench-fanout-floor-secret";

// sign(secret, body) / verified(secret, body, signature): HMAC-SHA256 in hex, as a signed webhook carries it.
const HMAC_SOURCE = `
let key;
const hmacKey = (secret) => (key ??= crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const sign = async (secret, body) => hex(await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(body)));
const verified = async (secret, body, signature) =>
  /^[0-9a-f]{64}$/.test(signature ?? "") &&
  crypto.subtle.verify("HMAC", await hmacKey(secret), Uint8Array.from(signature.match(/../g), (h) => parseInt(h, 16)), new TextEncoder().encode(body));`;

// Each side's queue batches as its consumer ran them (GET /stats): how many, how many at once at
// most, their mean wall time and messages. One isolate per worker locally, so module state sees all.
const BATCH_STATS_SOURCE = `
const stats = { batches: 0, messages: 0, batchMs: 0, maxConcurrent: 0 };
let running = 0;
async function timedBatch(batch, run) {
  const t0 = Date.now();
  stats.maxConcurrent = Math.max(stats.maxConcurrent, ++running);
  try {
    await run();
  } finally {
    running--;
    stats.batches++;
    stats.messages += batch.messages.length;
    stats.batchMs += Date.now() - t0;
  }
}
const statsResponse = () => { const out = Response.json(stats); Object.assign(stats, { batches: 0, messages: 0, batchMs: 0, maxConcurrent: 0 }); return out; };`;

const SENDER_WORKER = `${HMAC_SOURCE}
${BATCH_STATS_SOURCE}
let table;
const ready = (db) => (table ??= db.exec("CREATE TABLE IF NOT EXISTS callbacks (id INTEGER PRIMARY KEY, lead_id INTEGER NOT NULL, flag TEXT NOT NULL, recorded_ts INTEGER NOT NULL); CREATE TABLE IF NOT EXISTS passes (id INTEGER PRIMARY KEY, lead_id INTEGER NOT NULL, flag TEXT NOT NULL, passed_ts INTEGER NOT NULL)"));
const sendAll = async (queue, bodies) => {
  for (let i = 0; i < bodies.length; i += 100) await queue.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body })));
};
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/stats") return statsResponse();
    await ready(env.DB);
    // POST /burst?from=&n=[&pass=1]: leads from..from+n-1 onto the queue, to be delivered, or with
    // pass=1 to be processed first (a row written per lead) and handed off as a message of their own.
    if (url.pathname === "/burst") {
      const from = Number(url.searchParams.get("from")), n = Number(url.searchParams.get("n"));
      const type = url.searchParams.get("pass") === "1" ? "process" : "deliver";
      await sendAll(env.DELIVERIES, Array.from({ length: n }, (_, j) => ({ type, leadId: from + j, firstName: "Grace", surname: "Hopper", email: "fan." + (from + j) + "@inhouse-leads.co.uk" })));
      return Response.json({ enqueued: n });
    }
    if (url.pathname === "/callbacks") {
      const body = await request.text();
      if (!(await verified(env.SECRET, body, request.headers.get("X-Signature")))) return new Response("bad signature", { status: 401 });
      await env.DB.prepare("INSERT INTO callbacks (lead_id, flag, recorded_ts) SELECT value ->> 0, value ->> 1, ?2 FROM json_each(?1)")
        .bind(JSON.stringify(JSON.parse(body).leads), Date.now()).run();
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  },
  // Each lead POSTed to the receiver, at most ${MAX_IN_FLIGHT} in flight; a lead not taken is retried.
  queue(batch, env) {
    return timedBatch(batch, () => deliverAll(batch, env));
  },
};
async function deliverAll(batch, env) {
  // The processing pass: one statement writes the batch's leads, then each is handed off to be delivered.
  const passing = batch.messages.filter((m) => m.body.type === "process");
  if (passing.length > 0) {
    await env.DB.prepare("INSERT INTO passes (lead_id, flag, passed_ts) SELECT value ->> 'leadId', 'Valid', ?2 FROM json_each(?1)")
      .bind(JSON.stringify(passing.map((m) => m.body)), Date.now()).run();
    await sendAll(env.DELIVERIES, passing.map((m) => ({ ...m.body, type: "deliver" })));
    for (const m of passing) m.ack();
  }
  const todo = batch.messages.filter((m) => m.body.type === "deliver");
  const deliver = async () => {
    for (let m = todo.shift(); m; m = todo.shift()) {
      const res = await fetch(env.RECEIVER_URL + "/leads", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(m.body) });
      await res.arrayBuffer();
      if (res.status === 201) m.ack();
      else m.retry();
    }
  };
  await Promise.all(Array.from({ length: ${MAX_IN_FLIGHT} }, deliver));
}`;

const RECEIVER_WORKER = `${HMAC_SOURCE}
${SEND_SOON_SOURCE}
${BATCH_STATS_SOURCE}
let table;
const ready = (db) => (table ??= db.exec("CREATE TABLE IF NOT EXISTS leads (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, email TEXT NOT NULL, data TEXT NOT NULL, flag TEXT, received_ts INTEGER NOT NULL, processed_ts INTEGER)"));
export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/stats") return statsResponse();
    if (path !== "/leads") return new Response("not found", { status: 404 });
    const text = await request.text();
    const lead = JSON.parse(text);
    await ready(env.DB);
    const { meta } = await env.DB.prepare("INSERT INTO leads (source_id, email, data, received_ts) VALUES (?1, ?2, ?3, ?4)").bind(lead.leadId, lead.email, text, Date.now()).run();
    ctx.waitUntil(sendSoon(env.PROCESSR, meta.last_row_id));
    return Response.json({ data: meta.last_row_id, status: 201 }, { status: 201 });
  },
  // One statement writes the batch's leads; one signed callback carries them all back.
  queue(batch, env) {
    return timedBatch(batch, () => callBack(batch, env));
  },
};
async function callBack(batch, env) {
  const { results } = await env.DB.prepare("UPDATE leads SET flag = 'Valid', processed_ts = ?2 WHERE id IN (SELECT value FROM json_each(?1)) RETURNING source_id, flag")
    .bind(JSON.stringify(batch.messages.map((m) => m.body.leadId)), Date.now()).all();
  const body = JSON.stringify({ leads: results.map((r) => [r.source_id, r.flag]) });
  const res = await fetch(env.SENDER_URL + "/callbacks", { method: "POST", headers: { "Content-Type": "application/json", "X-Signature": await sign(env.SECRET, body) }, body });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error("callback answered " + res.status);
  batch.ackAll();
}`;

/** One workerd serving one floor worker on `port`, with its own D1 and queue; resolves to it and its workerd's pids. */
async function startSide({ name, script, port, persistTo, queue, producer, bindings }) {
  const running = workerdPids();
  const mf = new Miniflare(convertV4MiniflareOptions({
    host: "127.0.0.1", port: 0, resourcePersistencePath: join(persistTo, name),
    workers: [{
      name, modules: true, script, compatibilityDate: COMPATIBILITY_DATE, bindings: { SECRET, ...bindings },
      d1Databases: { DB: `bench-fanout-floor-${name}` },
      queueProducers: { [producer]: { queueName: queue } }, queueConsumers: { [queue]: processrConsumer() },
      unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    }],
  }));
  await mf.ready;
  return { mf, pids: new Set([...workerdPids()].filter((p) => !running.has(p))), db: await mf.getD1Database("DB", name) };
}

/**
 * One burst of `leads` leads enqueued at the sender (ids from `from`), timed from the D1 rows: the
 * receiver's first lead received, its first batch processed (its callback created), the sender's last
 * callback recorded. `waitFor(done, target, since)` as scripts/bench.mjs's.
 */
async function floorBurst({ sender, receiver, sides, from, leads, pass, waitFor }) {
  const senderUrl = sides.sender;
  const cpu0 = workerdCpuMs(undefined, sender.pids), cpuR0 = workerdCpuMs(undefined, receiver.pids);
  const batchStats = async () => Object.fromEntries(await Promise.all(Object.entries(sides).map(async ([k, url]) => [k, await (await fetch(`${url}/stats`)).json()])));
  await batchStats();
  const t0 = Date.now();
  const res = await fetch(`${senderUrl}/burst?from=${from}&n=${leads}${pass ? "&pass=1" : ""}`, { method: "POST" });
  if (res.status !== 200) throw new Error(`fan-out floor: the burst answered ${res.status}: ${await res.text()}`);
  const passed = sender.db.prepare("SELECT count(*) AS n, count(DISTINCT lead_id) AS leads FROM passes WHERE lead_id >= ?1 AND lead_id < ?2").bind(from, from + leads);
  const recorded = sender.db.prepare("SELECT count(*) AS n, max(recorded_ts) AS last FROM callbacks WHERE lead_id >= ?1 AND lead_id < ?2").bind(from, from + leads);
  const end = await waitFor(async () => (await recorded.first()).n, leads, t0);
  const cpuMs = { sender: (workerdCpuMs(undefined, sender.pids) - cpu0) / leads, receiver: (workerdCpuMs(undefined, receiver.pids) - cpuR0) / leads };
  const batches = await batchStats();
  const [cb, rx] = await Promise.all([
    sender.db.prepare("SELECT count(*) AS n, count(DISTINCT lead_id) AS leads, max(recorded_ts) AS last FROM callbacks WHERE lead_id >= ?1 AND lead_id < ?2").bind(from, from + leads).first(),
    receiver.db.prepare("SELECT count(*) AS n, count(DISTINCT source_id) AS leads, sum(flag IS NOT NULL) AS processed, min(received_ts) AS firstReceived, max(received_ts) AS lastReceived, min(processed_ts) AS firstProcessed FROM leads WHERE source_id >= ?1 AND source_id < ?2").bind(from, from + leads).first(),
  ]);
  // Exactly once: every lead delivered once, processed, and its callback recorded once.
  const check = { callbacks: cb.n, callbackLeads: cb.leads, received: rx.n, receivedLeads: rx.leads, processed: rx.processed };
  if (pass) Object.assign(check, await passed.first().then((x) => ({ passes: x.n, passedLeads: x.leads })));
  if (end.n < leads || Object.values(check).some((n) => n !== leads)) throw new Error(`fan-out floor: ${leads} leads not called back exactly once: ${JSON.stringify(check)}`);
  return {
    leads, check, cpuMs: { ...cpuMs, total: cpuMs.sender + cpuMs.receiver },
    // As the fan-out row: the first callback created (the receiver's first batch) → the last recorded.
    callbacksPerSecond: leads / ((cb.last - rx.firstProcessed) / 1000),
    fromFirstDelivery: leads / ((cb.last - rx.firstReceived) / 1000),
    fromEnqueue: leads / ((cb.last - t0) / 1000),
    // The deliveries' own rate (the receiver's first lead received → its last), and the queue batches of each side.
    deliveriesPerSecond: leads / ((rx.lastReceived - rx.firstReceived) / 1000), batches,
    seconds: (cb.last - t0) / 1000,
  };
}

const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);

/**
 * `leadflareRun()`: one run of leadflare's fan-out (scripts/bench.mjs fanoutPhase, fresh state).
 * Two floors: the sender delivering what is enqueued ("floor"), and the sender processing each lead
 * first, a row written per lead, and handing it off as a message of its own on the same queue, as
 * agency's Processr does ("pass"). Rounds alternate (floor, pass, leadflare, then leadflare, pass,
 * floor, …) after one warm-up burst of each floor.
 * ports: { sender, receiver }.
 */
export async function measureFanoutFloor({ persistTo, ports, leads, rounds, leadflareRun, waitFor, log }) {
  const senderUrl = `http://127.0.0.1:${ports.sender}`, receiverUrl = `http://127.0.0.1:${ports.receiver}`;
  const consumer = processrConsumer();
  const sender = await startSide({ name: "sender", script: SENDER_WORKER, port: ports.sender, persistTo, queue: "fanout-floor-deliveries", producer: "DELIVERIES", bindings: { RECEIVER_URL: receiverUrl } });
  let receiver;
  try {
    receiver = await startSide({ name: "receiver", script: RECEIVER_WORKER, port: ports.receiver, persistTo, queue: "fanout-floor-processr", producer: "PROCESSR", bindings: { SENDER_URL: senderUrl } });
    let from = 1;
    const sides = { sender: senderUrl, receiver: receiverUrl };
    const burst = (pass) => async () => {
      const r = await floorBurst({ sender, receiver, sides, from, leads, pass, waitFor });
      from += leads;
      return r;
    };
    const run = { floor: burst(false), pass: burst(true), leadflare: leadflareRun };
    log(`fan-out floor: warm-up (one burst of ${leads} leads each way)`);
    const warmUp = { floor: await run.floor(), pass: await run.pass() };
    const out = [];
    for (let i = 0; i < rounds; i++) {
      log(`fan-out floor: round ${i + 1} of ${rounds}`);
      const round = {};
      for (const side of i % 2 ? ["leadflare", "pass", "floor"] : ["floor", "pass", "leadflare"]) round[side] = await run[side]();
      out.push(round);
    }
    const floorSide = (side) => ({
      rate: median(out.map((r) => r[side].callbacksPerSecond)), cpuMs: median(out.map((r) => r[side].cpuMs.total)),
      deliveriesPerSecond: median(out.map((r) => r[side].deliveriesPerSecond)),
      leadflareOf: median(out.map((r) => (r.leadflare.callbacksPerSecond ?? 0) / r[side].callbacksPerSecond)),
    });
    return {
      leads, consumer, maxInFlight: MAX_IN_FLIGHT, warmUp, rounds: out, floor: floorSide("floor"), pass: floorSide("pass"),
      leadflare: { rate: median(out.map((r) => r.leadflare.callbacksPerSecond ?? 0)), cpuMs: median(out.map((r) => r.leadflare.cpuMsPerLead ?? 0)) },
    };
  } finally {
    await Promise.all([sender.mf.dispose(), receiver?.mf.dispose()]);
  }
}

/** The section's Markdown; `processing`: the same run's processing alone (leads/s), if it ran. */
export function fanoutFloorReport(f, processing, fmt) {
  const pct = (a, b) => (a && b ? `${fmt((100 * a) / b)} %` : "–");
  const batches = (b) => `${fmt(b.batches)} × ${fmt(b.messages / b.batches, 1)}, ${fmt(b.batchMs / b.batches)} ms each, ${fmt(b.maxConcurrent)} at once at most`;
  const floorRow = (round, name, x) =>
    `| ${round} | ${name} | ${fmt(x.callbacksPerSecond, 1)} (from the first delivery ${fmt(x.fromFirstDelivery, 1)}, from the enqueue ${fmt(x.fromEnqueue, 1)}) | ${fmt(x.deliveriesPerSecond, 1)} | ${fmt(x.cpuMs.total, 2)} ms (sender ${fmt(x.cpuMs.sender, 2)}, receiver ${fmt(x.cpuMs.receiver, 2)}) | ${batches(x.batches.sender)} · ${batches(x.batches.receiver)} |`;
  const leadflareRow = (round, x) =>
    `| ${round} | leadflare's fan-out | ${x.pending ? `pending: ${x.pending}` : `${fmt(x.callbacksPerSecond, 1)}${x.complete ? "" : " (**incomplete at the limit**)"}`} | – | ${fmt(x.cpuMsPerLead, 2)} ms (acme ${fmt(x.sideCpuMsPerLead?.acme, 2)}, agency ${fmt(x.sideCpuMsPerLead?.agency, 2)}) | – |`;
  const FLOOR = "floor", PASS = "floor with the sender's processing pass";
  const ofProcessing = processing
    ? ` The same run's processing alone: ${fmt(processing, 1)} leads/s; the floor ${pct(f.floor.rate, processing)} of it, with the pass ${pct(f.pass.rate, processing)}, leadflare's fan-out in these rounds ${pct(f.leadflare.rate, processing)}.`
    : "";
  const check = (x) => `${fmt(x.check.callbacks)} callbacks for ${fmt(x.check.callbackLeads)} leads, ${fmt(x.callbacksPerSecond, 1)} callbacks/s`;
  return [
    `Two workerds, as the demo pair, none of leadflare's code. The sender: ${fmt(f.leads)} leads enqueued at once on its own queue; its consumer (the Processr's settings from \`wrangler.toml\`: batches of ${f.consumer.maxBatchSize}, ${f.consumer.maxBatchTimeout} s wait) POSTs each lead to the receiver over HTTP on 127.0.0.1, at most ${f.maxInFlight} in flight (leadflare's outbound limit per host), and records the receiver's signed callbacks (HMAC-SHA256 checked, one row per lead, one statement). "${PASS}": each lead is first processed by that consumer (one statement writing a row per lead of the batch) and handed off as a message of its own on the same queue, as agency's Processr hands a lead to Convertr Connect. The receiver: each POST inserts the lead's row and enqueues it (one \`sendBatch\` per few milliseconds, as capture shares it); its consumer (same settings) writes the batch's leads in one statement and POSTs one signed callback per batch. Not in it: capture at the sender, checks and validation, the QA jobs, the lead objects, the outbound limiter's Durable Object, the deliveries' and callbacks' own records and logs.`,
    "",
    "callbacks/s as the fan-out row counts them (the first callback created → the last one recorded), the deliveries' own rate (received at the receiver, first → last), workerd CPU per lead of both sides and each side's queue batches (messages per batch); the sides alternate in rounds (floor, pass, leadflare, then leadflare, pass, floor, …), leadflare's each a fresh demo pair (section 4's run).",
    "",
    "| round | side | callbacks/s | deliveries/s | CPU per lead | queue batches: sender · receiver |",
    "|---:|---|---|---:|---|---|",
    ...f.rounds.flatMap((r, i) => [floorRow(i + 1, FLOOR, r.floor), floorRow(i + 1, PASS, r.pass), leadflareRow(i + 1, r.leadflare)]),
    `| median | ${FLOOR} | **${fmt(f.floor.rate, 1)}** | ${fmt(f.floor.deliveriesPerSecond, 1)} | ${fmt(f.floor.cpuMs, 2)} ms | |`,
    `| median | ${PASS} | **${fmt(f.pass.rate, 1)}** | ${fmt(f.pass.deliveriesPerSecond, 1)} | ${fmt(f.pass.cpuMs, 2)} ms | |`,
    `| median | leadflare's fan-out | **${fmt(f.leadflare.rate, 1)}** | – | ${fmt(f.leadflare.cpuMs, 2)} ms | |`,
    "",
    `leadflare's fan-out ÷ the floor: **${fmt(100 * f.floor.leadflareOf)} %**, ÷ the floor with the processing pass: **${fmt(100 * f.pass.leadflareOf)} %** (medians of the per-round ratios). With the pass, the burst's processing messages are all ahead of its hand-offs on the sender's queue, so its span from the first callback leaves the pass out: its rate from the enqueue is the one that counts it.${ofProcessing} Every floor lead delivered, processed and called back exactly once (and passed once, with the pass), counted in both D1s after each burst (warm-ups: ${check(f.warmUp.floor)}; with the pass ${check(f.warmUp.pass)}).`,
  ].join("\n");
}
