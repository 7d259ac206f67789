// CPU profiles of a workerd's isolates during a bench run (`--cpu-profile`, the fan-out section):
// Miniflare's `inspectorPort` exposes workerd's inspector, which lists every isolate (leadflare's
// Worker and its Durable Objects, and Miniflare's own D1, queue and object services); each is
// profiled over the Chrome DevTools Protocol (Profiler.start/stop on a WebSocket). The profiles are
// written as .cpuprofile files (Chrome DevTools opens them) and summed up here: sampled CPU per
// isolate, and leadflare's self and total time per function and per source file, mapped back to
// src/ through the bundle's source map. Sampling costs CPU itself: the profiled run's figures tell
// where the time goes, not how fast the run is.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { basename, join } from "node:path";

const SAMPLING_US = 1000;
// V8 takes a sample only while the isolate runs: a longer gap before a sample is time the isolate
// was not running (another isolate, or waiting), so each sample counts for at most this long.
const SAMPLE_CAP_US = 2 * SAMPLING_US;

/** Opens a CDP session on one inspector target; `send(method, params)` answers the result. */
function session(url) {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url);
    const waiting = new Map();
    let id = 0;
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      const w = waiting.get(msg.id);
      if (!w) return;
      waiting.delete(msg.id);
      if (msg.error) w.fail(new Error(`${url}: ${msg.error.message}`));
      else w.ok(msg.result);
    };
    ws.onerror = () => fail(new Error(`inspector ${url} unreachable`));
    ws.onopen = () =>
      ok({
        send: (method, params = {}) =>
          new Promise((ok, fail) => {
            waiting.set(++id, { ok, fail });
            ws.send(JSON.stringify({ id, method, params }));
          }),
        close: () => ws.close(),
      });
  });
}

/** Starts profiling every isolate of the workerd whose inspector listens on `port`; stop() answers { target: profile }. */
export async function startCpuProfiles(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const sessions = await Promise.all(targets.map(async (t) => ({ id: t.id, s: await session(t.webSocketDebuggerUrl) })));
  for (const { s } of sessions) {
    await s.send("Profiler.enable");
    await s.send("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  }
  await Promise.all(sessions.map(({ s }) => s.send("Profiler.start")));
  return async () => {
    const out = {};
    for (const { id, s } of sessions) {
      out[id] = (await s.send("Profiler.stop")).profile;
      s.close();
    }
    return out;
  };
}

/** Sampled CPU ms per node of a profile (idle and GC's own nodes included, by name). */
function selfMs(profile) {
  const ms = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) ms.set(samples[i], (ms.get(samples[i]) ?? 0) + Math.min(timeDeltas[i] ?? 0, SAMPLE_CAP_US) / 1000);
  return ms;
}

const mapCache = new Map();
function sourceMapOf(script) {
  if (!mapCache.has(script)) {
    let map = null;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${script}.map`, "utf8")));
    } catch {
      // no map: positions stay the bundle's
    }
    mapCache.set(script, map);
  }
  return mapCache.get(script);
}

/** "src/leads/capture.ts" for a bundle position, or the bundle's own name. */
function where(frame, script, map) {
  if (frame.lineNumber < 0 || !frame.url) return { file: frame.url || "(native)", line: 0 };
  const e = script.endsWith(frame.url) ? map?.findEntry(frame.lineNumber, frame.columnNumber) : null;
  if (!e?.originalSource) return { file: frame.url ? basename(frame.url) : "(anonymous)", line: frame.lineNumber + 1 };
  const file = e.originalSource.replace(/^.*?\/(src|scripts|node_modules)\//, "$1/").replace(/^node_modules\/(\.pnpm\/)?((@[^/]+\/)?[^/]+)\/.*$/, "node_modules/$2");
  return { file, line: e.originalLine + 1 };
}

/**
 * Summary of one workerd's profiles: CPU ms sampled per isolate, and for the isolates running
 * `script` (leadflare's bundle), self ms per source file, self and total ms per function.
 */
export function summarizeProfiles(profiles, script, perLeadOf = 1) {
  const map = sourceMapOf(script);
  const isolates = [];
  const files = new Map();
  const fnSelf = new Map();
  const fnTotal = new Map();
  const owner = new Map();
  for (const [id, profile] of Object.entries(profiles)) {
    const self = selfMs(profile);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let busy = 0;
    for (const [nodeId, ms] of self) if (byId.get(nodeId).callFrame.functionName !== "(idle)") busy += ms;
    isolates.push({ id, ms: busy });
    if (!id.includes(":user:")) continue;
    const label = new Map();
    const labelOf = (n) => {
      if (!label.has(n.id)) {
        const f = n.callFrame;
        const w = where(f, script, map);
        label.set(n.id, { file: w.file, fn: `${f.functionName || "(anonymous)"} ${w.file}:${w.line}` });
      }
      return label.get(n.id);
    };
    for (const [nodeId, ms] of self) {
      const n = byId.get(nodeId);
      if (n.callFrame.functionName === "(idle)") continue;
      const l = labelOf(n);
      files.set(l.file, (files.get(l.file) ?? 0) + ms);
      fnSelf.set(l.fn, (fnSelf.get(l.fn) ?? 0) + ms);
      // Total: each function once per stack, however often it recurs in it.
      const seen = new Set();
      let own = null;
      for (let p = nodeId; p !== undefined; p = parent.get(p)) {
        const at = labelOf(byId.get(p));
        own ??= at.file.startsWith("src/") ? at.fn : null;
        if (seen.has(at.fn)) continue;
        seen.add(at.fn);
        fnTotal.set(at.fn, (fnTotal.get(at.fn) ?? 0) + ms);
      }
      // Owner: the nearest function of ours up the stack. An await resumes in the function that
      // awaited with no caller above it, so totals miss what async code costs; owners do not.
      own ??= "(no src/ function on the stack)";
      owner.set(own, (owner.get(own) ?? 0) + ms);
    }
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => ({ what: k, msPerLead: v / perLeadOf }));
  return {
    isolates: isolates.sort((a, b) => b.ms - a.ms).map((i) => ({ ...i, msPerLead: i.ms / perLeadOf })),
    files: top(files, 25),
    self: top(fnSelf, 30),
    total: top(fnTotal, 40),
    owners: top(owner, 40),
  };
}

/** Writes each isolate's profile as `<dir>/<side>-<isolate>.cpuprofile`. */
export function writeProfiles(dir, side, profiles) {
  mkdirSync(dir, { recursive: true });
  for (const [id, profile] of Object.entries(profiles)) writeFileSync(join(dir, `${side}-${id.replace(/[^\w.-]+/g, "_")}.cpuprofile`), JSON.stringify(profile));
}

/** The summary as Markdown lines; `per` names what the figures are divided by (a lead, a page, …). */
export function profileReport(side, summary, fmt, per = "lead") {
  const L = [`#### ${side}: CPU sampled per isolate (ms per ${per})`, "", summary.isolates.filter((i) => i.msPerLead >= 0.005).map((i) => `${i.id} ${fmt(i.msPerLead, 2)}`).join(", "), ""];
  L.push(`${side}'s Worker, self time per source file (ms per ${per}): ${summary.files.map((f) => `${f.what} ${fmt(f.msPerLead, 2)}`).join(", ")}`, "");
  const cell = (x) => (x ? `| \`${x.what}\` | ${fmt(x.msPerLead, 2)} ` : "| | ");
  L.push(`| our function nearest the sample (with what it calls) | ms/${per} | function (self) | ms/${per} | function (total, with callees) | ms/${per} |`, "|---|---:|---|---:|---|---:|");
  for (let i = 0; i < Math.max(summary.owners.length, summary.self.length, summary.total.length); i++) {
    L.push(`${cell(summary.owners[i])}${cell(summary.self[i])}${cell(summary.total[i])}|`);
  }
  L.push("");
  return L;
}
