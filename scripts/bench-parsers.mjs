// `node scripts/bench-parsers.mjs` (also run by `npm run bench`, section 5): how long the
// integration response parsers (src/integrations/response-parsers.ts) take on the one-megabyte
// hostile bodies of bench/hostile-responses.ts. In Node's V8, the engine workerd embeds; the
// floor beside each figure is JSON.parse of the same body as one JSON string, a native linear parse.
import { pathToFileURL } from "node:url";
import { HOSTILE_RESPONSES } from "../bench/hostile-responses.ts";
import { extractResponseValue, ResponseParseError } from "../src/integrations/response-parsers.ts";

const RUNS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn) {
  const t = [];
  let result;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    result = fn();
    t.push(performance.now() - started);
  }
  return { ms: median(t), result };
}

/** One row per hostile body: median parse time, the linear floor, and what the parser answered. */
export function measureParsers() {
  return HOSTILE_RESPONSES.map((h) => {
    const body = h.body();
    const parse = time(() => {
      try {
        const v = extractResponseValue(h.type, body, h.key);
        return v === null ? "null" : `a value of ${v.length.toLocaleString("en-GB")} characters`;
      } catch (e) {
        if (e instanceof ResponseParseError) return `refused: ${e.message}`;
        throw e;
      }
    });
    const quoted = JSON.stringify(body);
    const floor = time(() => JSON.parse(quoted));
    return { name: h.name, bytes: body.length, ms: parse.ms, floorMs: floor.ms, outcome: parse.result };
  });
}

export function parsersReport(rows) {
  const f = (n) => n.toLocaleString("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  return [
    `Median of ${RUNS} runs per body, Node ${process.version} (V8). Floor: JSON.parse of the same body as one JSON string.`,
    "",
    "| body (1 MiB) | parse | floor | answer |",
    "|---|---:|---:|---|",
    ...rows.map((r) => `| ${r.name} | ${f(r.ms)} ms | ${f(r.floorMs)} ms | ${r.outcome} |`),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(parsersReport(measureParsers()));
