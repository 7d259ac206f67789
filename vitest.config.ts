import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { type Fixture, seedStatements } from "./src/db/seed.ts";

// Tests run inside workerd with the bindings of wrangler.toml (real D1, Durable Objects and
// Queues). Storage is isolated per test file; test/setup.ts migrates and seeds each file's D1.
export default defineConfig(async () => {
  const fixture = JSON.parse(readFileSync("demo/enterprises.json", "utf8")) as Fixture;
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations("./migrations"),
            TEST_SEED: await seedStatements(fixture, "acme"),
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
    },
  };
});
