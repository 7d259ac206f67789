// Issue 17's v4 page gap, decomposed in the same run: the v4 campaign page of 100 against its floor
// (the baseline worker's 100 indexed rows), with steps in between, each with the workerd CPU ms it
// costs per request (leadflare and the baseline share that workerd; runs are sequential).
//   floor                       100 indexed rows, answered as JSON (bench/baseline.ts GET /rows)
//   floor + the page's body     the same read, answering the v4 page's own JSON (posted once)
//   page's statements floor     the page's own three statements (count, rows, relations) as one D1
//                               batch on leadflare's D1, answering the page's own JSON, without
//                               leadflare's code per request (bench/page-floor.ts)
//   leadflare 404               middleware only, no route (no authentication, no D1)
//   authenticated item 404      middleware + authentication + one indexed D1 read (a campaign)
//   v4 page of 10 / of 100      the campaign page, newest first
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { leadflareD1 } from "./bench-capture-floor.mjs";
import { startCpuProfiles, summarizeProfiles, writeProfiles } from "./bench-cpu-profile.mjs";
import { workerdCpuMs } from "./bench-roundtrips.mjs";
import { bundle } from "./direct.mjs";
import { DEV_ENV, ROOT } from "./enterprise.mjs";
import { load } from "./load.mjs";
import { join } from "node:path";

/**
 * The page's statements floor (bench/page-floor.ts) as a Miniflare worker for startDirect's
 * extraWorkers, served on `port`: bundled with the baseline worker's wrangler config (no Durable Objects to export), the floor as entry,
 * with leadflare's compatibility settings and its D1 database bound as LEADS_DB.
 */
export async function pageFloorWorker(port) {
  const scriptPath = await bundle("bench/wrangler.toml", ".bench/page-floor", "bench/page-floor.ts");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"), DEV_ENV);
  return {
    name: "page-floor",
    modules: true,
    scriptPath,
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    d1Databases: { LEADS_DB: leadflareD1() },
    unsafeDirectSockets: [{ host: "127.0.0.1", port }],
  };
}

/** The step's name; bench.mjs finds its figures by it for the goal paragraph. */
export const PAGE_STATEMENTS_FLOOR = "page's statements floor: the page's count, rows and relations statements in one D1 batch on leadflare's D1 + the page's body";

async function step(name, opts) {
  const cpu = workerdCpuMs();
  const r = await load({ connections: 10, ...opts });
  const done = r.ok + r.failed;
  return { name, ...r, cpuMsPerRequest: done ? (workerdCpuMs() - cpu) / done : null };
}

/**
 * The page of 100 in a run of its own with every isolate of the workerd CPU-profiled (`--cpu-profile`:
 * `profile` = { inspectorPort, script, dir }): where a page's CPU goes, per request, in leadflare, its
 * D1 and the local assets router. Sampling costs CPU itself, so this run's figures are not the steps'.
 */
async function profiled(url, headers, duration, { inspectorPort, script, dir }) {
  const stop = await startCpuProfiles(inspectorPort);
  const r = await load({ url, headers, connections: 10, duration });
  const profiles = await stop();
  writeProfiles(dir, "v4-page", profiles);
  return summarizeProfiles(profiles, script, r.ok + r.failed);
}

/**
 * `base`: leadflare; `baselineBase`: the baseline worker; `pageFloorBase`: the page's statements
 * floor (pageFloorWorker), if served; `headers`: an admin's bearer token.
 */
export async function measurePageGap({ base, baselineBase, pageFloorBase, headers, duration, profile }) {
  const query = "/api/v4/leads?campaign.id=601&order[id]=desc";
  const page = `${base}${query}`;
  const body = await (await fetch(`${page}&itemsPerPage=100`, { headers })).text();
  for (const to of [baselineBase, pageFloorBase].filter(Boolean)) {
    const posted = await fetch(`${to}/page-body`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
    if (!posted.ok) return { pending: `${to} refused the page body: ${posted.status}` };
  }
  return {
    pageBytes: body.length,
    steps: [
      await step("floor: 100 indexed rows as JSON", { url: `${baselineBase}/rows?campaign=601`, duration }),
      await step("floor + the v4 page's body (same read, JSON.stringify of the page)", { url: `${baselineBase}/rows-page-body?campaign=601`, duration }),
      ...(pageFloorBase
        ? [await step(PAGE_STATEMENTS_FLOOR, { url: `${pageFloorBase}${query}&itemsPerPage=100`, duration })]
        : []),
      await step("leadflare v4 404 (middleware only)", { url: `${base}/api/v4/bench-floor`, duration, expect404: true }),
      await step("authenticated v4 item 404 (auth + one indexed read)", { url: `${base}/api/v4/campaigns/999999999`, headers, duration, expect404: true }),
      await step("v4 page of 10", { url: `${page}&itemsPerPage=10`, headers, duration }),
      await step("v4 page of 100", { url: `${page}&itemsPerPage=100`, headers, duration }),
    ],
    ...(profile ? { profile: await profiled(`${page}&itemsPerPage=100`, headers, duration, profile) } : {}),
  };
}

const fmt = (n, d = 0) => (n === null || n === undefined ? "–" : n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }));

/** The decomposition table (markdown lines) for one table size. */
export function pageGapReport(size, g) {
  if (g.pending) return [`Page gap at ${fmt(size)} leads: pending: ${g.pending}`, ""];
  const L = [
    `Where the v4 page's time goes at ${fmt(size)} leads (page body ${fmt(g.pageBytes / 1024)} KiB; CPU ms: every workerd process, leadflare, its D1 and the baseline together, per answered request):`,
    "",
    "| step | req/s | p99 | CPU ms / request |",
    "|---|---:|---:|---:|",
  ];
  for (const s of g.steps) L.push(`| ${s.name} | ${fmt(s.rps)}${s.failed ? ` (${fmt(s.failed)} failed)` : ""} | ${fmt(s.p99)} ms | ${fmt(s.cpuMsPerRequest, 2)} |`);
  L.push("");
  return L;
}
