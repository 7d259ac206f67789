// The campaign webhook's lead capture next to the Publisher API's (issue 17: landing pages are the
// busiest capture path), for `npm run bench -- --only=webhook`. Both go through the same capture code;
// the webhook adds its key: the campaign's own key, or a landing-page key bound to one publisher.
// Three subjects on one workerd (no queue consumers, so the Processr does not compete), each warmed
// first, then `rounds` rounds of `seconds` each, the subjects' order rotating from round to round:
//   the Publisher API with X-Api-Key, the webhook with the campaign key, the webhook with publisher
//   12's landing-page key (all for publisher 12, campaign 601, form 35, link 25).
// Reported: req/s (2xx) and each round's ratio to the Publisher API run of the same round (median,
// min-max), CPU ms per request (this workerd's user + system time), p99, and D1 round trips per
// warm capture counted in a run of their own on the counting bundle (scripts/lib/bench-roundtrips.mjs).
import { demoCampaignWebhookKey, demoLandingPageKey } from "../../src/db/seed.ts";
import { diffTrips, roundTrips, workerdCpuMs, workerdPids } from "./bench-roundtrips.mjs";
import { startDirect } from "./direct.mjs";
import { load } from "./load.mjs";
import { median, quantile } from "./stats.mjs";

const webhookPath = (key) => `/webhook/campaign/601/global-form/35/leads?campaignLinkId=25&publisherId=12&apikey=${key}`;

async function subjects(capture) {
  const form = { "Content-Type": "application/x-www-form-urlencoded" };
  return [
    { name: "Publisher API (X-Api-Key)", path: capture.path, headers: capture.headers },
    { name: "campaign webhook, campaign key", path: webhookPath(await demoCampaignWebhookKey("acme", 601)), headers: form },
    { name: "campaign webhook, landing-page key", path: webhookPath(await demoLandingPageKey("acme", 601, 12)), headers: form },
  ];
}

/** One Miniflare on `script`, prepared; its workerd pids (CPU is read for them only). */
async function serve(script, persistTo, port, vars, prepare) {
  const known = workerdPids();
  const base = `http://127.0.0.1:${port}`;
  const mf = await startDirect({ script, persistTo, port, vars: { ...vars, BASE_URL: base }, assets: false, noConsumers: true });
  const pids = new Set([...workerdPids()].filter((p) => !known.has(p)));
  await prepare(mf, base);
  return { mf, base, pids };
}

/**
 * `capture`: the Publisher API's { path, headers }; `makeBody(tag)`: a body maker of unique leads
 * for publisher 12's form 35; `countingScript`: the counting bundle, for the round trips.
 */
export async function measureWebhookCapture({ script, countingScript, persistTo, port, vars, prepare, capture, makeBody, rounds, seconds, log }) {
  const list = await subjects(capture);
  const run = (base, s, opts) =>
    load({ url: base + s.path, method: "POST", headers: s.headers, makeBody: makeBody("webhook"), connections: 10, ...opts });
  const out = list.map((s) => ({ name: s.name, runs: [] }));

  log("webhook: capture, Publisher API and campaign webhook in rotating rounds");
  const w = await serve(script, `${persistTo}/load`, port, vars, prepare);
  try {
    for (const s of list) await run(w.base, s, { duration: 1 });
    for (let i = 0; i < rounds; i++) {
      for (let j = 0; j < list.length; j++) {
        const k = (i + j) % list.length;
        const cpu = workerdCpuMs(process.pid, w.pids);
        const r = await run(w.base, list[k], { duration: seconds, keepLatencies: true });
        out[k].runs[i] = { ...r, cpuMs: workerdCpuMs(process.pid, w.pids) - cpu };
      }
    }
  } finally {
    await w.mf.dispose();
  }

  log("webhook: D1 round trips per warm capture (counting bundle)");
  const c = await serve(countingScript, `${persistTo}/counting`, port, vars, prepare);
  try {
    for (const [k, s] of list.entries()) {
      await run(c.base, s, { amount: 20 });
      const before = await roundTrips(c.base);
      const r = await run(c.base, s, { amount: 200 });
      out[k].roundTrips = r.ok ? (diffTrips(await roundTrips(c.base), before).fetch ?? 0) / r.ok : null;
    }
  } finally {
    await c.mf.dispose();
  }

  const api = out[0].runs;
  return {
    rounds, seconds,
    rows: out.map(({ name, runs, roundTrips: trips }) => {
      const ok = runs.reduce((a, r) => a + r.ok, 0);
      const all = ok + runs.reduce((a, r) => a + r.failed, 0);
      const perRound = runs.map((r, i) => (api[i].rps ? r.rps / api[i].rps : null)).filter((x) => x !== null);
      return {
        name,
        rps: ok / runs.reduce((a, r) => a + r.seconds, 0),
        ratio: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound),
        cpuMsPerRequest: all ? runs.reduce((a, r) => a + r.cpuMs, 0) / all : null,
        p99: quantile(runs.flatMap((r) => r.latencies).sort((a, b) => a - b), 0.99),
        failed: all - ok,
        roundTrips: trips,
      };
    }),
  };
}

export function webhookReport(r, fmt) {
  const L = [
    `10 connections, ${r.rounds} rounds of ${fmt(r.seconds, r.seconds % 1 ? 1 : 0)} s per subject, the order rotating each round; one workerd, no queue consumers. "vs API": each round's req/s over the Publisher API's in the same round (median, min-max). D1 round trips per warm capture counted in a run of 200 captures each on the counting bundle.`,
    "",
    "| capture | req/s | vs API | CPU ms / request | p99 ms | D1 round trips / capture | failed |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const x of r.rows) {
    L.push(`| ${x.name} | ${fmt(x.rps)} | ${fmt(100 * x.ratio)} % (${fmt(100 * x.min)}-${fmt(100 * x.max)} %) | ${fmt(x.cpuMsPerRequest, 2)} | ${fmt(x.p99)} | ${fmt(x.roundTrips, 2)} | ${fmt(x.failed)} |`);
  }
  return L.join("\n");
}
