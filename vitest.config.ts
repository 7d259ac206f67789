import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { type Fixture, seedStatements } from "./src/db/seed.ts";

// Three projects:
// - "workers": tests inside workerd with the bindings of wrangler.toml's [env.dev] (real D1, Durable Objects
//   and Queues). Storage is isolated per test file; test/setup.ts migrates and seeds each file's D1.
// - "jobs": the Processr jobs' tests, the same way but in one workerd per Vitest worker (they touch
//   D1 only; test/shared-workerd.ts gives each file fresh modules and an empty D1).
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
  // The Processr jobs' tests use no Durable Object, queue or bucket (test/shared-workerd.ts checks the
  // objects and buckets a file leaves; queues it cannot see).
  const JOBS = "test/processr/jobs/**/*.test.ts";
  return {
    test: {
      projects: [
        {
          ...workerd(),
          test: {
            ...workerdTest,
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/console/**", "test/docs/**", JOBS],
            // Each file in a workerd of its own, so with storage of its own.
            setupFiles: ["./test/setup.ts"],
          },
        },
        {
          ...workerd(),
          test: {
            ...workerdTest,
            name: "jobs",
            include: [JOBS],
            // A workerd per Vitest worker for all its files: starting one (and loading the Worker
            // into it) is most of a small file's cost. Each file still starts with fresh modules
            // and a freshly migrated and seeded D1.
            isolate: false,
            setupFiles: ["./test/shared-workerd.ts", "./test/setup.ts"],
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
