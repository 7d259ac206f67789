// The CSV export under measurement: streams GET /api/v4/leads as text/csv to the end, counting
// records and bytes, while sampling the resident memory of the workerd process that serves it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The workerd processes this Node process started (Miniflare spawns workerd directly). */
function workerdPids() {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return out.split("\n").map((l) => l.trim().split(/\s+/)).filter(([, comm]) => comm?.startsWith("workerd")).map(([pid]) => Number(pid));
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

/**
 * Streams `url` (Accept: text/csv) and returns records (CRLF-terminated lines after the header),
 * bytes, seconds (and to the first byte: the header row, after the column query), and workerd's resident memory before and at its peak during the stream (MiB;
 * sampled every 50 ms, null where /proc is not available).
 */
export async function measureExport(url, headers) {
  const pids = (() => {
    try {
      return workerdPids();
    } catch {
      return [];
    }
  })();
  const rss = () => (pids.length ? pids.reduce((s, p) => s + rssKiB(p), 0) / 1024 : null);
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => {
    const now = rss();
    if (now !== null && now > peak) peak = now;
  }, 50);
  const t0 = Date.now();
  try {
    const res = await fetch(url, { headers: { ...headers, Accept: "text/csv" } });
    if (res.status !== 200) return { pending: `export answered ${res.status}: ${(await res.text()).slice(0, 300)}` };
    let lines = 0;
    let bytes = 0;
    let lastByte = 0;
    let firstByteSeconds = null;
    for await (const chunk of res.body) {
      firstByteSeconds ??= (Date.now() - t0) / 1000;
      bytes += chunk.length;
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] === 10 && (i > 0 ? chunk[i - 1] : lastByte) === 13) lines++;
      }
      lastByte = chunk[chunk.length - 1];
    }
    const seconds = (Date.now() - t0) / 1000;
    return { rows: lines - 1, bytes, seconds, firstByteSeconds, rowsPerSecond: (lines - 1) / seconds, rssBeforeMiB: before, rssPeakMiB: peak };
  } finally {
    clearInterval(sampler);
  }
}
