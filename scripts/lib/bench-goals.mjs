// The throughput goals of issue 17 in one table: each figure of this run next to its same-run
// baseline, the ratio and whether the goal is met. Rows whose sections did not run are left out.
// leadflare's figures are served straight to the Worker, like the baselines; the same runs through
// Miniflare's local assets router are shown beside them ("router": see scripts/bench.mjs's header).
// Capture and the v4 page are measured against their baselines in interleaved rounds
// (scripts/lib/bench-interleaved.mjs), end to end in the pipeline section's alternating rounds:
// each ratio is the median of the per-round ratios.
import { backlogBounded } from "./bench-steady.mjs";
import { roundsText } from "./bench-interleaved.mjs";
import { ratioText } from "./bench-pipeline-floor.mjs";

/** @param {any} r the bench run's results; @param {(n: number, d?: number) => string} fmt */
export function goalsReport(r, fmt) {
  const rows = [];
  const pct = (a, b) => (a && b ? (100 * a) / b : null);
  // `rounds`: the row's interleaved rounds, whose median per-round ratio is the row's ratio.
  const add = (path, figure, baseline, value, base, goal, extra = true, rounds = null) => {
    const ratio = rounds ? (rounds.ratio === null ? null : 100 * rounds.ratio) : pct(value, base);
    const met = ratio === null ? "–" : ratio >= goal && extra ? "met" : "**not met**";
    rows.push(`| ${path} | ${figure} | ${baseline} | ${ratio === null ? "–" : `${fmt(ratio)} %`} | ≥ ${goal} % | ${met} |`);
  };
  const spread = (rounds) => (rounds?.perRound.length ? `, interleaved rounds (per round ${fmt(100 * rounds.min)}–${fmt(100 * rounds.max)} %)` : "");
  const router = (x, unit, base) => (x ? ` (router: ${fmt(x, unit === "leads/s" ? 1 : 0)} ${unit}${base ? `, ${fmt(pct(x, base))} %` : ""})` : "");
  const d = r.direct ?? {};
  for (const c of d.capture ?? []) {
    const p99Ok = c.c !== 10 || c.capture.p99 <= 2 * c.insert.p99;
    const p99 = c.c === 10 ? `, p99 ${fmt(c.capture.p99)} ms (goal ≤ 2 × ${fmt(c.insert.p99)} ms)` : "";
    add(`lead capture, ${c.c} conns`, `${fmt(c.capture.rps)} req/s${p99}${router(c.captureRouter?.rps, "req/s", c.insert.rps)}`, `one D1 insert ${fmt(c.insert.rps)} req/s${spread(c.rounds)}`, c.capture.rps, c.insert.rps, 80, p99Ok, c.rounds);
  }
  const processing = d.processing ? d.processing.processed / d.processing.seconds : null;
  const processingRouter = d.processingRouter ? d.processingRouter.processed / d.processingRouter.seconds : null;
  const captureAlone = d.perLead?.captureOnlyPerSecond ?? null;
  if (processing !== null && captureAlone !== null) {
    add("capture → final flag (5 jobs)", `${fmt(processing, 1)} leads/s${router(processingRouter, "leads/s")}`, `capture alone ${fmt(captureAlone)} leads/s`, processing, captureAlone, 100);
  }
  // Steady load (scripts/lib/bench-steady.mjs): the goal's "no backlog at steady load", measured.
  for (const s of r.steady?.runs ?? []) {
    const bounded = backlogBounded(s);
    rows.push(`| capture at a steady ${fmt(s.offered)} leads/s (${fmt(s.fraction * 100)} % of capture alone), Processr running | final flags ${fmt(s.finalRps)} leads/s while capturing ${fmt(s.captureRps)}; backlog max ${fmt(Math.max(s.firstHalfMax, s.secondHalfMax))} (first half ${fmt(s.firstHalfMax)}, second ${fmt(s.secondHalfMax)}), ${fmt(s.backlogAtEnd)} at the end; capture → final flag p50 ${fmt(s.p50Ms)} ms, p99 ${fmt(s.p99Ms)} ms | capture alone ${fmt(r.steady.captureAlone)} leads/s | ${fmt(pct(s.finalRps, s.captureRps))} % | backlog stays bounded | ${bounded ? "met" : "**not met**"} |`);
  }
  const insert10 = d.capture?.find((c) => c.c === 10)?.insert.rps ?? null;
  // End to end is judged like capture and the page: on the pipeline section's alternating rounds
  // (scripts/lib/bench-pipeline-floor.mjs), where each 1,000-lead burst (the processing row's own
  // measurement) sits seconds from its one-insert run. The processing row's single burst against the
  // capture rounds' insert, minutes apart, is printed beside it; the floor says how close the runtime lets it get.
  const pf = r.pipelineFloor;
  const single = processing !== null && insert10 !== null
    ? `single burst ${fmt(processing, 1)} leads/s${router(processingRouter, "leads/s", insert10)} against the capture rounds' insert ${fmt(insert10)} req/s: ${fmt(pct(processing, insert10))} %`
    : null;
  if (pf) {
    const e = pf.leadflare.ofInsert;
    add("end to end, sustained", `${fmt(pf.leadflare.rate, 1)} leads/s over ${fmt(e.perRound.length)} bursts of ${fmt(pf.leads)} leads (${single ?? "no single burst in this run"})`,
      `one D1 insert ${fmt(pf.insert.rate)} req/s, alternating rounds (section 10; per round ${fmt(100 * e.min)}–${fmt(100 * e.max)} %); pipeline floor without our code: ${ratioText(pf.floor.ofInsert, fmt)} of one insert`,
      null, null, 40, true, { ratio: e.median, min: e.min, max: e.max, perRound: e.perRound });
  } else if (single) {
    add("end to end, sustained", `${fmt(processing, 1)} leads/s${router(processingRouter, "leads/s", insert10)}`, `one D1 insert ${fmt(insert10)} req/s (single runs minutes apart; section 10 did not run)`, processing, insert10, 40);
  }
  for (const s of r.reads?.sizes ?? []) {
    const q = s.queries[0];
    if (q && s.rows) add(`v4 campaign page of 100 (${fmt(s.size)} leads)`, `${fmt(q.rps)} req/s${router(s.pageRouter?.rps, "req/s", s.rows.rps)}`, `100 indexed rows ${fmt(s.rows.rps)} req/s${spread(s.rows.rounds)}`, q.rps, s.rows.rps, 50, true, s.rows.rounds);
  }
  if (r.fanout && !r.fanout.pending && processing !== null) {
    // The fan-out's floor (scripts/lib/bench-fanout-floor.mjs), beside the row's own baseline: how close the runtime lets the row get.
    const ff = r.fanoutFloor?.floor;
    const fanoutFloorNote = ff ? `; fan-out floor without our code: ${fmt(ff.rate, 1)} callbacks/s (${fmt(pct(ff.rate, processing))} % of processing; section 11)` : "";
    add("sync-tag fan-out", `${fmt(r.fanout.callbacksPerSecond, 1)} callbacks/s`, `processing ${fmt(processing, 1)} leads/s${fanoutFloorNote}`, r.fanout.callbacksPerSecond, processing, 100);
  }
  if (rows.length === 0) return null;
  const t = d.perLead?.tripsPerLead, u = d.perLead?.cpuMsPerLead;
  const perLead = t
    ? `\n\nPer lead, end to end: **${fmt(t.total, 2)} D1 round trips** (capture ${fmt(t.capture, 2)}, processing ${fmt(t.processing, 2)}, sync ${fmt(t.sync, 2)}, other ${fmt(t.other, 2)}) and **${fmt(u.total, 2)} CPU ms** (capture ${fmt(u.capture, 2)}, processing ${fmt(u.processing, 2)}).`
    : "";
  const note = "\n\nleadflare straight to its Worker, like the baselines (on Cloudflare the `run_worker_first` routing is the platform's, before the Worker and not billed to it); \"router\": the same run through Miniflare's local assets router, which emulates that routing with two JavaScript workers in front of ours.";
  const anyRounds = d.capture?.find((c) => c.rounds)?.rounds ?? r.reads?.sizes?.find((s) => s.rows?.rounds)?.rows.rounds;
  const interleavedNote = anyRounds
    ? `\n\nRows marked "interleaved rounds": the figure and its baseline alternate in ${roundsText(anyRounds, fmt)} (baseline, subject, then subject, baseline, …), so both see the same host conditions; the ratio is the median of the per-round ratios (min–max beside the baseline), req/s each side's answers over its seconds, and capture's p99 goal is judged on the p99 of all answers of each side's rounds.${pf ? ` The end-to-end row is judged the same way on section 10's rounds: each round's ${fmt(pf.leads)}-lead burst against that round's one-insert run.` : ""}`
    : "";
  return ["| path | figure | same-run baseline | ratio | goal | |", "|---|---|---|---:|---:|---|", ...rows].join("\n") + perLead + interleavedNote + note;
}
