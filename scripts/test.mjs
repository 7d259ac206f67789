// `npm test`: the vitest projects (vitest.config.ts) as two vitest runs at the same time, the
// workerd ones (workers, workers-isolated) in one and e2e in the other. In one run Vitest puts a project whose
// files run one at a time (e2e: they share the run's test ports) in a group of its own after every
// other project's files, so the e2e files ran only once the workers files were done, with a core
// idle. Each line is printed as it comes, prefixed with its run; then each run's summary as Vitest
// wrote it. Exits non-zero if either run failed. With arguments (`npm test -- test/db`), it is
// plain `vitest run` with them.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const VITEST = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const RUNS = [
  { name: "workers", projects: ["workers", "workers-isolated"] },
  { name: "e2e", projects: ["e2e"] },
];

const vitest = (args, stdio) =>
  spawn(process.execPath, [VITEST, "run", ...args], { stdio, env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}) } });

const exited = (child) => new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0))));

const args = process.argv.slice(2);
if (args.length > 0) process.exit(await exited(vitest(args, "inherit")));

const children = RUNS.map(({ name, projects }) => ({ name, child: vitest(projects.flatMap((p) => ["--project", p]), ["ignore", "pipe", "pipe"]), summary: [] }));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => children.forEach(({ child }) => child.kill(signal)));

// Vitest's closing block, from its "Test Files" line on (colour codes aside).
const SUMMARY_START = /^\s*Test Files\s/;
const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, "");

const codes = await Promise.all(
  children.map(({ name, child, summary }) => {
    let inSummary = false;
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
        if (stream === child.stdout && SUMMARY_START.test(plain(line))) inSummary = true;
        if (inSummary) summary.push(line);
        out.write(`[${name}] ${line}\n`);
      });
    }
    return exited(child);
  }),
);

for (const [i, { name, summary }] of children.entries()) {
  console.log(`\n${name}: ${codes[i] === 0 ? "passed" : `failed (exit ${codes[i]})`}`);
  for (const line of summary) console.log(line);
}
process.exit(codes.some((c) => c !== 0) ? 1 : 0);
