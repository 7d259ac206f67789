// `node scripts/bench-console.mjs` (also run by `npm run bench`, section 6): the console's first
// load and its time to interactive in headless Chromium against both demo enterprises
// (test/e2e/harness.ts, its own ports). Needs the built console (`npm run build:admin`).
//   first load: every file of admin/dist the browser fetches until the signed-in dashboard shows
//   its figures, raw and gzip-compressed (what a compressing CDN sends);
//   time to interactive: navigation start → the dashboard's campaign rows and chart heading on
//   screen, from the page's own clock, each run in a fresh context (empty HTTP cache).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { loadavg } from "node:os";
import { startEnterprises } from "../test/e2e/harness.ts";
import { CHROMIUM, DEMO_ADMINS, launchChromium, signInConsole } from "./lib/chromium.mjs";
import { ROOT } from "./lib/enterprise.mjs";

const RUNS = 7;
const DIST = join(ROOT, "admin/dist");
const PORTS = { acme: 28793, agency: 28794, inspectorPort: 29293 };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The dashboard is interactive once its campaign rows and chart heading are rendered. */
const dashboardReady = () =>
  document.querySelector("tr[data-campaign]") &&
  [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].some((h) => h.textContent === "Lead statistics chronology")
    ? performance.now()
    : false;

/** Milliseconds from navigation start to `ready` in a fresh context with `storageState`; the dist files fetched. */
async function timeLoad(browser, baseURL, storageState, ready) {
  const context = await browser.newContext({ baseURL, storageState, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const files = new Set();
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    const file = join(DIST, path === "/" ? "index.html" : path);
    if (!path.startsWith("/api/") && file.startsWith(DIST) && existsSync(file) && statSync(file).isFile()) files.add(file);
  });
  await page.goto("/");
  const ms = await (await page.waitForFunction(ready, undefined, { polling: "raf", timeout: 60_000 })).jsonValue();
  await context.close();
  return { ms, files };
}

export async function measureConsole(log = () => {}) {
  if (!existsSync(join(DIST, "index.html"))) throw new Error("admin/dist is missing: run `npm run build:admin` first");
  log("console: starting the demo pair (test/e2e/harness.ts)");
  const ent = await startEnterprises(PORTS);
  const browser = await launchChromium();
  try {
    const base = ent.urls.acme;
    // One sign-in through the screen gives the session (localStorage) every measured run starts with.
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await signInConsole(page, DEMO_ADMINS.acme);
    const session = await context.storageState();
    await context.close();

    const signInReady = () => (document.querySelector("input[autocomplete=username]") ? performance.now() : false);
    const signIn = [];
    const dashboard = [];
    let files = new Set();
    // One unmeasured run first: wrangler dev and workerd compile on their first requests.
    await timeLoad(browser, base, session, dashboardReady);
    for (let i = 0; i < RUNS; i++) {
      log(`console: run ${i + 1}/${RUNS}`);
      signIn.push((await timeLoad(browser, base, undefined, signInReady)).ms);
      const d = await timeLoad(browser, base, session, dashboardReady);
      dashboard.push(d.ms);
      files = d.files;
    }
    const sizes = [...files].map((f) => {
      const body = readFileSync(f);
      return { file: f.slice(DIST.length + 1), raw: body.length, gzip: gzipSync(body).length };
    });
    return {
      runs: RUNS,
      signInMs: median(signIn),
      dashboardMs: median(dashboard),
      dashboardRangeMs: [Math.min(...dashboard), Math.max(...dashboard)],
      files: sizes.sort((a, b) => b.gzip - a.gzip),
      loadavg: loadavg(),
    };
  } finally {
    await browser.close();
    await ent.stop();
  }
}

export function consoleReport(r) {
  const kb = (n) => `${(n / 1024).toLocaleString("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 })} KiB`;
  const ms = (n) => `${Math.round(n).toLocaleString("en-GB")} ms`;
  const sum = (k) => r.files.reduce((a, f) => a + f[k], 0);
  return [
    `Headless Chromium (${CHROMIUM}), 1280×800, a fresh context per run (empty HTTP cache), acme on workerd through Miniflare (test/e2e/harness.ts) on 127.0.0.1; median of ${r.runs} runs. Load average at the end: ${r.loadavg.map((l) => l.toFixed(2)).join(", ")}.`,
    "",
    "| measure | value |",
    "|---|---:|",
    `| first load, the files fetched until the dashboard is up (raw) | ${kb(sum("raw"))} in ${r.files.length} files |`,
    `| first load, gzip | ${kb(sum("gzip"))} |`,
    `| navigation → sign-in form on screen | ${ms(r.signInMs)} |`,
    `| navigation → signed-in dashboard interactive (campaign figures and chart heading) | ${ms(r.dashboardMs)} (${ms(r.dashboardRangeMs[0])}–${ms(r.dashboardRangeMs[1])}) |`,
    "",
    "| file | raw | gzip |",
    "|---|---:|---:|",
    ...r.files.map((f) => `| ${f.file} | ${kb(f.raw)} | ${kb(f.gzip)} |`),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(consoleReport(await measureConsole((m) => console.error(`[bench] ${m}`))));
}
