// Issue 17's goal rows, each figure and its same-run baseline measured in alternating rounds of the
// same run. Measured as two single runs minutes apart, a ratio takes in how the shared host drifted
// in between (the v4 page's floor read 899 req/s in one run and 720 req/s a minute later), so the
// two sides alternate in short rounds instead, and each round's ratio compares two neighbouring runs.
import { workerdCpuMs } from "./bench-roundtrips.mjs";
import { load } from "./load.mjs";
import { median, quantile } from "./stats.mjs";

/** One side's runs pooled: its answers over its seconds, percentiles over every latency, CPU per request. */
function pool(runs) {
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const failed = runs.reduce((a, r) => a + r.failed, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const cpuMs = runs.reduce((a, r) => a + r.cpuMs, 0);
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const statuses = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return { rps: ok / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), ok, failed, seconds, statuses, cpuMsPerRequest: ok + failed ? cpuMs / (ok + failed) : null };
}

/**
 * `baseline` and `subject`: load() options without a duration (same URLs, bodies and connections as
 * a single run would use). A warm-up of `warmup` seconds of each, then `rounds` rounds of `seconds`
 * seconds of each side, in the order baseline-subject, subject-baseline, … (so that a steady drift
 * favours neither side). `settle()`, if given, runs before each baseline run (e.g. waits until the
 * subject's queued work has drained, so that every baseline run sees the state a single run saw).
 *
 * The ratio reported is the median of the per-round ratios (subject req/s ÷ baseline req/s of the
 * same round): each round's two runs sit seconds apart under the same host conditions, and the
 * median ignores a round in which another process's burst hit only one side, which a ratio of the
 * summed requests would carry in by that round's share. The per-round ratios' min and max are
 * returned beside it so the spread can be printed. Each side's req/s is its summed answers over
 * its summed seconds; its p50/p99 are taken over every answer of its rounds (the p99 goal is
 * judged on those); its CPU ms per request counts every workerd this process started, so it is
 * one side's own only where nothing else runs meanwhile.
 */
export async function interleaved({ baseline, subject, rounds, seconds, warmup = 1, settle = async () => {} }) {
  const sides = { baseline, subject };
  for (const side of ["baseline", "subject"]) await load({ ...sides[side], duration: warmup });
  const runs = { baseline: [], subject: [] };
  const run = async (side) => {
    if (side === "baseline") await settle();
    const cpu = workerdCpuMs();
    const r = await load({ ...sides[side], duration: seconds, keepLatencies: true });
    runs[side].push({ ...r, cpuMs: workerdCpuMs() - cpu });
  };
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? ["subject", "baseline"] : ["baseline", "subject"]) await run(side);
  }
  const perRound = runs.subject.map((s, i) => (runs.baseline[i].rps ? s.rps / runs.baseline[i].rps : null)).filter((x) => x !== null);
  return {
    baseline: pool(runs.baseline),
    subject: pool(runs.subject),
    rounds: { n: rounds, seconds, ratio: perRound.length ? median(perRound) : null, min: Math.min(...perRound), max: Math.max(...perRound), perRound },
  };
}

/** "5 interleaved rounds of 2 s each side", for the tables' notes. */
export const roundsText = (rounds, fmt) => `${rounds.n} interleaved rounds of ${fmt(rounds.seconds, rounds.seconds % 1 ? 1 : 0)} s each side`;

/** "**47 %** (44–51 %)": the median per-round ratio and the per-round min–max, for a table cell. */
export const roundsRatio = (rounds, fmt) => (rounds.ratio === null ? "–" : `**${fmt(100 * rounds.ratio)} %** (${fmt(100 * rounds.min)}–${fmt(100 * rounds.max)} %)`);
