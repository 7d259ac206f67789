// D1 round trips and CPU milliseconds per lead, for `npm run bench` (issue 17: one D1 primary is
// the ceiling of a whole enterprise, so round trips per lead are the number to drive down).
//
// How it counts, without counting code in the product:
// - Round trips: the bench bundles scripts/lib/bench-counting-worker.mjs, a bench-only entry that
//   wraps leadflare's own Worker and Durable Objects and counts every D1 call under the invocation
//   that made it ("fetch", "queue:<name>", "LeadObject.<method>", …); see that file.
// - CPU: user + system time of the workerd process(es) Miniflare started (/proc/<pid>/stat),
//   which includes D1's SQLite work, queues and Durable Objects: the whole runtime's cost.
// Both are measured in runs of their own (never during the req/s runs), on fresh state:
//   run A, no queue consumers: N leads captured → capture round trips and CPU per lead, and the
//          rate of capture alone;
//   run B, consumers on: N leads captured and processed to their final flag → processing and
//   sync round trips per lead (by label), and CPU per lead end to end; processing CPU = B − A.
//
// Use (other bench sections can do the same with their own scenario):
//   const script = await bundleCounting();                       // once per bench run
//   const mf = await startDirect({ script, ... });              // from scripts/lib/direct.mjs
//   const before = { trips: await roundTrips(base), cpu: workerdCpuMs() };
//   …traffic…
//   const trips = diffTrips(await roundTrips(base), before.trips); // { label: count }
//   const cpuMs = workerdCpuMs() - before.cpu;
//   tripsByStage(trips)                                         // { capture, processing, sync, other, total }
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { bundle } from "./direct.mjs";

export const COUNTING_ENTRY = "scripts/lib/bench-counting-worker.mjs";

/** The product bundled behind the counting entry (same wrangler.toml, same build as deploy). */
export const bundleCounting = (outdir = ".bench/counting") => bundle("wrangler.toml", outdir, COUNTING_ENTRY);

/** D1 round trips so far, by invocation label, as the counting entry reports them. */
export async function roundTrips(base) {
  const res = await fetch(`${base}/__dev/bench-d1-round-trips`);
  if (!res.ok) throw new Error(`round-trip counts: ${res.status} (is the counting bundle running?)`);
  return res.json();
}

/** D1 statements so far (a batch's each), by the same labels. */
export async function d1Statements(base) {
  const res = await fetch(`${base}/__dev/bench-d1-statements`);
  if (!res.ok) throw new Error(`statement counts: ${res.status} (is the counting bundle running?)`);
  return res.json();
}

export function diffTrips(after, before) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

/**
 * Labels → stages: the publisher API / webhooks (fetch) capture; the Processr queue and the lead
 * object's RPCs process; the lead object's alarm delivers sync callbacks.
 */
export function tripsByStage(trips) {
  const s = { capture: 0, processing: 0, sync: 0, other: 0 };
  for (const [label, n] of Object.entries(trips)) {
    if (label === "fetch") s.capture += n;
    else if (label === "LeadObject.alarm") s.sync += n;
    else if (label.startsWith("queue:leadflare-processr") || label.startsWith("LeadObject.")) s.processing += n;
    else s.other += n;
  }
  return { ...s, total: s.capture + s.processing + s.sync + s.other };
}

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** Parent pid and CPU ticks of a process, or null once it is gone. */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { comm: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** CPU milliseconds used so far by the workerd processes descending from this Node process (or only those of `pids`). */
export function workerdCpuMs(root = process.pid, pids = null) {
  const procs = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    if (s) procs.set(Number(name), s);
  }
  const descends = (pid) => {
    for (let p = procs.get(pid)?.ppid; p; p = procs.get(p)?.ppid) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, s] of procs) if (s.comm.startsWith("workerd") && descends(pid) && (!pids || pids.has(pid))) ticks += s.ticks;
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The workerd processes descending from this Node process now (to tell two Miniflares' CPU apart: read before and after starting one). */
export function workerdPids(root = process.pid) {
  const out = new Set();
  for (const name of readdirSync("/proc")) {
    const s = /^\d+$/.test(name) ? stat(name) : null;
    if (!s?.comm.startsWith("workerd")) continue;
    for (let p = s.ppid, n = 0; p && n < 50; p = stat(p)?.ppid, n++) if (p === root) out.add(Number(name));
  }
  return out;
}

/**
 * Runs A and B above. `start({ noConsumers })` starts a Miniflare on the counting bundle with
 * fresh state and returns { mf, base, db }; `capture(n)` sends n leads and returns load()'s
 * summary (`ok`: how many were accepted, `endedAt`: when the last answer came); `processed()` counts leads at their final flag.
 */
export async function measurePerLead({ start, capture, processed, leads, waitLimitMs = 180_000 }) {
  const a = await start({ noConsumers: true });
  let captureOnly;
  try {
    await capture(20); // warm-up: compiles code, opens the D1 file
    const trips0 = await roundTrips(a.base);
    const cpu0 = workerdCpuMs();
    const t0 = Date.now();
    const { ok, endedAt } = await capture(leads);
    const seconds = (endedAt - t0) / 1000;
    captureOnly = { leads: ok, seconds, cpuMs: workerdCpuMs() - cpu0, trips: diffTrips(await roundTrips(a.base), trips0) };
  } finally {
    await a.mf.dispose();
  }
  const b = await start({ noConsumers: false });
  let endToEnd;
  try {
    await capture(20);
    const warm = Date.now();
    while ((await processed(b.db)) < 20 && Date.now() - warm < waitLimitMs) await new Promise((r) => setTimeout(r, 100));
    const done0 = await processed(b.db);
    const trips0 = await roundTrips(b.base);
    const cpu0 = workerdCpuMs();
    const t0 = Date.now();
    const { ok } = await capture(leads);
    let done = await processed(b.db);
    while (done < done0 + ok && Date.now() - t0 < waitLimitMs) {
      await new Promise((r) => setTimeout(r, 200));
      done = await processed(b.db);
    }
    endToEnd = { leads: ok, processed: done - done0, cpuMs: workerdCpuMs() - cpu0, trips: diffTrips(await roundTrips(b.base), trips0) };
  } finally {
    await b.mf.dispose();
  }
  const per = (n, leadsN) => (leadsN ? n / leadsN : null);
  const capStages = tripsByStage(captureOnly.trips);
  const e2eStages = tripsByStage(endToEnd.trips);
  return {
    leads,
    complete: endToEnd.processed >= endToEnd.leads,
    tripsPerLead: {
      capture: per(capStages.capture, captureOnly.leads),
      processing: per(e2eStages.processing, endToEnd.leads),
      sync: per(e2eStages.sync, endToEnd.leads),
      other: per(e2eStages.other, endToEnd.leads),
      total: per(e2eStages.total, endToEnd.leads),
    },
    cpuMsPerLead: {
      capture: per(captureOnly.cpuMs, captureOnly.leads),
      total: per(endToEnd.cpuMs, endToEnd.leads),
      processing: per(endToEnd.cpuMs, endToEnd.leads) - per(captureOnly.cpuMs, captureOnly.leads),
    },
    labels: { captureOnly: captureOnly.trips, endToEnd: endToEnd.trips },
    /** Run A's rate: capture alone, the Processr not running (the counting wrapper included). */
    captureOnlyPerSecond: captureOnly.leads / captureOnly.seconds,
  };
}

/** Wall-time totals so far, { label: { n, ms } }, as the counting entry reports them (its header says what is timed). */
export async function timings(base) {
  const res = await fetch(`${base}/__dev/bench-timings`);
  if (!res.ok) throw new Error(`timings: ${res.status} (is the counting bundle running?)`);
  const { inFlight: _, ...t } = await res.json();
  return t;
}

/** What was timed between two readings: { label: { n, meanMs } }, labels with at least one sample. */
export function diffTimings(after, before) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    const n = v.n - (before[k]?.n ?? 0);
    if (n > 0) out[k] = { n, meanMs: (v.ms - (before[k]?.ms ?? 0)) / n };
  }
  return out;
}
