// Fixed-concurrency load with autocannon, summarised the way BENCHMARKS.md reports it.
import autocannon from "autocannon";

/**
 * `connections` clients each keep one request in flight for `duration` seconds (or until `amount`
 * requests). `makeBody`/`makePath`, if given, build each request's body (unique emails per lead)
 * or path (random lookups). `keepLatencies`: also return every answer's latency in ms (to pool the
 * percentiles of several runs: scripts/lib/bench-interleaved.mjs).
 */
export async function load({ url, method = "GET", headers = {}, body, makeBody, makePath, connections, duration, amount, expect404 = false, keepLatencies = false }) {
  const opts = { url, method, headers, connections, pipelining: 1, timeout: 30 };
  if (amount) opts.amount = amount;
  else opts.duration = duration;
  if (makeBody || makePath) {
    opts.requests = [
      {
        method,
        setupRequest: (req) => ({ ...req, ...(makeBody ? { body: makeBody() } : {}), ...(makePath ? { path: makePath() } : {}) }),
      },
    ];
  }
  else if (body !== undefined) opts.body = body;
  const startedAt = Date.now();
  const run = autocannon(opts);
  // A run of `amount` requests ends only on autocannon's next whole second: its time is taken up
  // to its last answer instead, so rates of such runs are not rounded to whole seconds.
  let endedAt = startedAt;
  const latencies = keepLatencies ? [] : null;
  run.on("response", (_client, _status, _bytes, ms) => {
    endedAt = Date.now();
    latencies?.push(ms);
  });
  const r = await run;
  const seconds = amount ? Math.max(endedAt - startedAt, 1) / 1000 : r.duration;
  // expect404: the answer that run is about is a 404 (leadflare's floor without a route).
  const ok = expect404 ? (r.statusCodeStats["404"]?.count ?? 0) : r["2xx"];
  return {
    rps: ok / seconds, // successful requests per second only
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok,
    failed: (expect404 ? r.requests.total - ok : r.non2xx) + r.errors + r.timeouts,
    seconds,
    /** When the last answer arrived (Date.now()). */
    endedAt,
    ...(latencies ? { latencies } : {}),
    // Answers by status code, and transport errors, for reporting failures.
    statuses: {
      ...Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, v]) => [code, v.count])),
      ...(r.errors ? { errors: r.errors } : {}),
      ...(r.timeouts ? { timeouts: r.timeouts } : {}),
    },
  };
}
