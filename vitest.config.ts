import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { type Fixture, seedStatements } from "./src/db/seed.ts";

// Local D1 and Durable Object storage lives under the OS temp directory (Miniflare's, and the e2e
// servers' state): on tmpfs where there is one, as the bench's, since on a disk every commit waits
// for its fsync (~8 ms on this project's 2-core VM), which the tests would measure instead of the code.
if (!process.env.TMPDIR && existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";

// Three projects:
// - "workers": tests inside workerd with the bindings of wrangler.toml's [env.dev] (real D1, Durable
//   Objects and Queues), one workerd per Vitest worker running its files one after another:
//   test/shared-workerd.ts gives each file fresh modules, no Durable Objects or bucket objects and
//   an empty D1, which test/setup.ts migrates and seeds.
// - "workers-isolated": the same, a workerd per file, for the files that evict Durable Objects
//   themselves (which the reset between files cannot see).
// - "e2e": Node tests against real local servers (test/e2e/harness.ts), for what needs a real
//   URL: two enterprises talking to each other, API Platform's api-doc-parser, and the browser
//   console (test/console: Debian's chromium driven by playwright-core); and test/docs, which
//   reads the repository's Markdown files from disk.
export default defineConfig(async () => {
  const fixture = JSON.parse(readFileSync("demo/enterprises.json", "utf8")) as Fixture;
  const migrations = await readD1Migrations("./migrations");
  const seed = await seedStatements(fixture, "acme");
  // Both workerd projects run the Worker with the bindings of wrangler.toml's [env.dev] (a plugin each).
  const workerd = () => ({
    // The prebundled dependencies (deps.optimizer below) in this checkout, not in node_modules/.vite:
    // a worktree sharing node_modules (the bench's) would rebuild them under a run of another
    // checkout, whose next files then fail on "a new version of the pre-bundle".
    cacheDir: ".vite",
    plugins: [
      cloudflareTest({
        // The local demo enterprise ([env.dev]); the top level is production.
        wrangler: { configPath: "./wrangler.toml", environment: "dev" },
        miniflare: { bindings: { TEST_MIGRATIONS: migrations, TEST_SEED: seed } },
      }),
    ],
  });
  const workerdTest = {
    // Every file loads the whole Worker through the module runner, one request per module: with the
    // dependencies prebundled into a few files each, a file costs about a fifth less CPU.
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: [
            "hono",
            "hono/cors",
            "hono/utils/http-status",
            "drizzle-orm",
            "drizzle-orm/batch",
            "drizzle-orm/d1",
            "drizzle-orm/sqlite-core",
            "zod",
            "jose",
            "@scalar/hono-api-reference",
            "standardwebhooks",
          ],
        },
      },
    },
    // One file per core: Vitest's default (cores - 1) leaves a core idle while a file's workerd
    // and the runner wait on each other.
    maxWorkers: availableParallelism(),
    testTimeout: 30_000,
  };
  // Files that evict Durable Objects (evictDurableObject, evictAllDurableObjects) or abort them.
  const ISOLATED = [
    "test/integrations/host-limiter-answer-lost.test.ts",
    "test/leads/lead-object-name.test.ts",
    "test/leads/pending-decision-alarm.test.ts",
    "test/leads/sync-callback-batches.test.ts",
    "test/leads/sync-callbacks.test.ts",
  ];
  return {
    test: {
      projects: [
        {
          ...workerd(),
          test: {
            ...workerdTest,
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/console/**", "test/docs/**", ...ISOLATED],
            // A workerd per Vitest worker for all its files: starting one and loading the Worker into
            // it cost ~3.5 CPU s per file, most of a file's cost.
            isolate: false,
            setupFiles: ["./test/shared-workerd.ts", "./test/setup.ts"],
          },
        },
        {
          ...workerd(),
          test: {
            ...workerdTest,
            name: "workers-isolated",
            include: ISOLATED,
            setupFiles: ["./test/setup.ts"],
          },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts", "test/console/**/*.test.ts", "test/docs/**/*.test.ts"],
            testTimeout: 120_000,
            hookTimeout: 180_000,
            // One after another: they share the run's test ports and CPU-heavy local servers.
            fileParallelism: false,
            // The run's test ports and the demo state prepared once for them (test/e2e/harness.ts).
            globalSetup: ["./test/e2e/global-setup.ts"],
          },
        },
      ],
    },
  };
});
