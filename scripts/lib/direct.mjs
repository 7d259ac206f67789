// Serving leadflare on workerd through Miniflare's API, without wrangler dev's proxy in front: the
// Worker bundled by wrangler (the same esbuild build `wrangler deploy` uploads) with the bindings
// wrangler.toml declares (read through wrangler itself, so they cannot drift), plus the bench's
// baseline worker (bench/baseline.ts) in the same workerd, sharing nothing with leadflare.
import { execFile } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { DEV_ENV, loadDemoData, ROOT } from "./enterprise.mjs";

const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/**
 * `wrangler deploy --dry-run --outdir`: bundles a Worker without uploading it; returns the script
 * path. `entry` replaces the config's main (the bench's counting entry, scripts/lib/bench-roundtrips.mjs).
 */
export function bundle(config, outdir, entry) {
  outdir = resolve(ROOT, outdir); // wrangler resolves a relative --outdir against the config's folder
  rmSync(outdir, { recursive: true, force: true });
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [WRANGLER, "deploy", ...(entry ? [entry] : []), "--dry-run", "-c", config, "--outdir", outdir],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) return fail(new Error(`bundling ${config} failed:\n${stdout}\n${stderr}`));
        const script = readdirSync(outdir).find((f) => f.endsWith(".js"));
        if (!script) return fail(new Error(`bundling ${config} wrote no script to ${outdir}`));
        ok(join(outdir, script));
      },
    );
  });
}

/**
 * One Miniflare instance (one workerd) serving leadflare on `port` and, if `baselineScript` is
 * given, the baseline worker on `baselinePort`. State is read from and written to `persistTo`, the
 * same layout `wrangler dev --persist-to` uses, so scripts/lib/enterprise.mjs can prepare it.
 * `environment` picks wrangler.toml's bindings and vars: [env.dev] by default, "" the top level.
 * `onLog({ level, message })` receives the Worker's console output instead of stderr.
 * `extraWorkers`: more Miniflare worker options served by the same workerd.
 * `inspectorPort`: workerd's inspector listens there (CPU profiles: scripts/lib/bench-cpu-profile.mjs).
 * `straightPort`: the same Worker (same state, same isolates) is also served there straight, without
 * the local assets router that `port` goes through: on Cloudflare that routing is done by the
 * platform before the Worker runs, so the bench's goal rows are measured here (scripts/bench.mjs).
 */
export async function startDirect({ script, persistTo, port, vars = {}, environment = DEV_ENV, baselineScript, baselinePort, noConsumers = false, onLog, assets = true, extraWorkers = [], inspectorPort, straightPort }) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"), environment);
  // The bundle is one self-contained module: no module rules or source root to resolve.
  delete workerOptions.modulesRules;
  delete workerOptions.rootPath;
  // Capture measured without the Processr competing for the CPU (messages simply wait).
  if (noConsumers) delete workerOptions.queueConsumers;
  // assets: false serves requests straight to the Worker, without Miniflare's local assets router
  // (scripts/lib/bench-capture-floor.mjs measures what that router costs).
  if (!assets) delete workerOptions.assets;
  const workers = [
    {
      ...workerOptions,
      name: "leadflare",
      modules: true,
      scriptPath: script,
      bindings: { ...workerOptions.bindings, ...vars },
      unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    },
  ];
  if (baselineScript) {
    workers.push({
      name: "baseline",
      modules: true,
      scriptPath: baselineScript,
      compatibilityDate: workerOptions.compatibilityDate,
      compatibilityFlags: workerOptions.compatibilityFlags,
      d1Databases: { BASE_DB: "bench-baseline" },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: baselinePort }],
    });
  }
  if (straightPort) {
    // A socket names one worker's service; Miniflare puts the assets router in front of a worker with
    // assets, but not in front of a socket that another worker (this one, never itself called) points
    // at "leadflare" by name.
    workers.push({
      name: "leadflare-straight",
      modules: true,
      script: "export default { fetch: () => new Response(null, { status: 500 }) };",
      compatibilityDate: workerOptions.compatibilityDate,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: straightPort, serviceName: "leadflare" }],
    });
  }
  workers.push(...extraWorkers);
  // Wrangler hands Miniflare options in the v4 shape too (and converts them the same way).
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1", port: 0, resourcePersistencePath: join(persistTo, "v3"), workers,
      ...(inspectorPort ? { inspectorPort } : {}),
      ...(onLog ? { handleStructuredLogs: onLog } : {}),
    }),
  );
  await mf.ready;
  return mf;
}

/** Migrates a fresh enterprise state served by `mf` and loads its demo data (loadDemoData); its D1. */
export async function loadDemoState(mf, enterprise, urls) {
  const db = await mf.getD1Database("DB", "leadflare");
  await loadDemoData(db, { enterprise, urls });
  return db;
}
