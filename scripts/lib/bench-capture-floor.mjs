// Lead capture's floor on this runtime (issue 17): workerd CPU per request of what a capture
// cannot avoid, next to capture itself, all in one workerd and one run (`--only=floor`):
//   - one D1 insert: bench/baseline.ts's /insert, the goal's baseline;
//   - one D1 insert + one queue send: the floor worker below (a capture must also enqueue the lead
//     for the Processr);
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

// One insert and one queue send per request, the send after the answer as capture does it.
const FLOOR_WORKER = `
let table;
export default {
  async fetch(request, env, ctx) {
    table ??= env.FLOOR_DB.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, body TEXT, created_ts INTEGER)");
    await table;
    const body = await request.text();
    const { meta } = await env.FLOOR_DB.prepare("INSERT INTO hits (body, created_ts) VALUES (?, ?)").bind(body, Date.now()).run();
    ctx.waitUntil(env.FLOOR_QUEUE.send({ type: "process", leadId: meta.last_row_id }));
    return Response.json({ data: meta.last_row_id, status: 201 }, { status: 201 });
  },
};`;

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
        d1Databases: { FLOOR_DB: "bench-capture-floor" }, queueProducers: { FLOOR_QUEUE: { queueName: "bench-capture-floor" } },
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
    `| leadflare 404 (middleware and rate limiter only) | ${cell(f.assets?.floor)} | ${cell(f.straight?.floor)} |`,
    `| lead capture | ${cell(f.assets?.capture)} | ${cell(f.straight?.capture)} |`,
  ].join("\n");
}
