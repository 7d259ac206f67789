// Capture at a steady rate, the Processr running beside it (issue 17's "capture → final flag ≥ 100 %:
// no backlog at steady load", measured directly; `--only=steady`): leads are offered at a fixed rate,
// a fraction of the same run's capture-alone rate, for `seconds`, and the backlog (leads captured but
// not yet at a final flag) is sampled every 250 ms.
//
// The sender paces requests itself instead of autocannon's rate options: autocannon lets each
// connection send its quota for a second as fast as it can from the second's start, then wait
// (node_modules/autocannon/lib/httpClient.js), which offers bursts, not a steady rate. Here request i
// leaves at start + i / rate whatever the earlier answers are doing (an open loop, as independent
// publishers behave), with at most MAX_IN_FLIGHT outstanding: past that, due requests wait for a free
// slot and leave late, so an overloaded Worker stretches the run and the achieved rate falls short of
// the offered one (the report shows both).

import { quantile } from "./stats.mjs";

const SAMPLE_MS = 250;
const TICK_MS = 5;
const MAX_IN_FLIGHT = 256;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Offers `rate` requests/s for `seconds`; returns when every answer is in. */
async function paced({ url, headers, makeBody, rate, seconds }) {
  const total = Math.round(rate * seconds);
  const start = Date.now();
  let sent = 0, inFlight = 0, ok = 0, failed = 0, lastAnswer = start;
  const pending = new Set();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
    while (sent < due && inFlight < MAX_IN_FLIGHT) {
      sent++;
      inFlight++;
      const p = fetch(url, { method: "POST", headers, body: makeBody() })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status >= 200 && res.status < 300) ok++;
          else failed++;
        })
        .catch(() => failed++)
        .finally(() => {
          inFlight--;
          lastAnswer = Date.now();
          pending.delete(p);
        });
      pending.add(p);
    }
    await sleep(TICK_MS);
  }
  await Promise.all(pending);
  return { ok, failed, endedAt: lastAnswer, seconds: (lastAnswer - start) / 1000 };
}

/**
 * One steady run per fraction of `captureAlone` (leads/s). `db`: the enterprise's D1 (Miniflare
 * binding); `campaignId`: the campaign `capture` posts to; `waitFor(done, target, startedAt)` as in
 * scripts/bench.mjs (the backlog drained after each run).
 */
export async function measureSteady({ db, base, capture, campaignId, captureAlone, fractions, seconds, waitFor, log }) {
  const final = `processr_status IN (900, 1000) AND flag IS NOT NULL`;
  const count = async (sql, ...binds) => (await db.prepare(sql).bind(...binds).first()).n;
  const backlog = (since) => count(`SELECT COUNT(*) AS n FROM leads WHERE campaign_id = ?1 AND id > ?2 AND NOT (${final})`, campaignId, since);
  const finals = () => count(`SELECT COUNT(*) AS n FROM leads WHERE campaign_id = ?1 AND ${final}`, campaignId);
  const runs = [];
  for (const fraction of fractions) {
    const rate = Math.max(1, Math.round(fraction * captureAlone));
    log(`steady load: ${rate} leads/s (${Math.round(fraction * 100)} % of capture alone) for ${seconds} s`);
    const since = await count("SELECT COALESCE(MAX(id), 0) AS n FROM leads");
    const finals0 = await finals();
    const samples = [];
    let sampling = true;
    const sampler = (async () => {
      const t0 = Date.now();
      while (sampling) {
        samples.push({ at: Date.now() - t0, backlog: await backlog(since) });
        await sleep(SAMPLE_MS - ((Date.now() - t0) % SAMPLE_MS));
      }
    })();
    const cap = await paced({ url: base + capture.path, headers: capture.headers, makeBody: capture.makeBody, rate, seconds });
    sampling = false;
    await sampler;
    const atEnd = await backlog(since);
    const finalsAtEnd = await finals();
    const drained = await waitFor(async () => -(await backlog(since)), 0, Date.now());
    // Capture → final flag per lead: created_ts is written by capture just before its answer and
    // updated_ts by the Processr's outcome write (campaign 601 has no job that writes the lead later).
    const { results } = await db
      .prepare(`SELECT updated_ts - created_ts AS ms FROM leads WHERE campaign_id = ?1 AND id > ?2 AND ${final} ORDER BY ms`)
      .bind(campaignId, since)
      .all();
    const lags = results.map((r) => r.ms);
    const half = (first) => Math.max(0, ...samples.filter((s) => (s.at <= (seconds * 1000) / 2) === first).map((s) => s.backlog));
    runs.push({
      fraction, offered: rate, captured: cap.ok, failed: cap.failed,
      captureRps: cap.ok / cap.seconds,
      finalRps: (finalsAtEnd - finals0) / cap.seconds,
      firstHalfMax: half(true), secondHalfMax: half(false), backlogAtEnd: atEnd,
      drainSeconds: (drained.at - cap.endedAt) / 1000, drained: drained.n === 0,
      p50Ms: quantile(lags, 0.5), p99Ms: quantile(lags, 0.99), maxMs: lags.at(-1) ?? null,
      samples: samples.length,
    });
  }
  return { seconds, captureAlone, runs };
}

/**
 * Bounded backlog, judged from the run's figures: every lead was captured, at ≥ 95 % of the offered
 * rate (else capture itself did not keep the pace and the load was not the one asked for); the
 * backlog's peak in the run's second half is at most 1.5 × its peak in the first half plus one
 * sampling interval's arrivals (what the backlog moves between two samples from arrival timing
 * alone); and it drained afterwards. A backlog that waits for queue batches moves within a band set
 * in the first second or two; one fed faster than the Processr works grows all along, and its peak
 * doubles from the first half to the second.
 */
export const backlogBounded = (r) =>
  r.failed === 0 && r.captureRps >= 0.95 * r.offered && r.secondHalfMax <= 1.5 * r.firstHalfMax + (r.offered * SAMPLE_MS) / 1000 && r.drained;

/** The section's Markdown. */
export function steadyReport(s, fmt) {
  const L = [
    `Leads offered at a fixed rate (paced by the bench, not autocannon: see \`scripts/lib/bench-steady.mjs\`) for ${fmt(s.seconds)} s, straight to the Worker, the Processr running in the same workerd; fractions of this run's capture alone (${fmt(s.captureAlone)} leads/s, the Processr not running). Backlog: leads captured and not yet at a final flag, sampled every 250 ms. Capture → final flag per lead from the lead's \`created_ts\` (capture) and \`updated_ts\` (the Processr's outcome).`,
    "",
    "| offered | captured | final flags during capture | max backlog, first half · second half | backlog at the end of capture | drained after | capture → final flag p50 · p99 · max | backlog bounded |",
    "|---|---|---|---|---:|---|---|---|",
  ];
  for (const r of s.runs) {
    const lost = r.failed ? ` (**${fmt(r.failed)} failed**)` : "";
    L.push(`| ${fmt(r.offered)} leads/s (${fmt(r.fraction * 100)} %) | ${fmt(r.captureRps)} leads/s${lost} | ${fmt(r.finalRps)} leads/s | ${fmt(r.firstHalfMax)} · ${fmt(r.secondHalfMax)} | ${fmt(r.backlogAtEnd)} | ${r.drained ? `${fmt(r.drainSeconds, 1)} s` : "**not drained at the limit**"} | ${fmt(r.p50Ms)} · ${fmt(r.p99Ms)} · ${fmt(r.maxMs)} ms | ${backlogBounded(r) ? "yes" : "**no**"} |`);
  }
  return L.join("\n");
}
