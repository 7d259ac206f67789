// Once per run of the "e2e" project (vitest.config.ts): the pair of test ports every test file's
// enterprises serve on, and directories where the first startEnterprises() of the run leaves the
// bundled Worker and their migrated and seeded state for the later files (test/e2e/harness.ts). The demo data holds
// the enterprises' URLs, so one pair of ports for the whole run is what lets it be prepared once.
// The files run one after another (fileParallelism: false), so they can all use the same ports.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import { assertPortFree, ROOT } from "../../scripts/lib/enterprise.mjs";

export interface SharedEnterprises {
  ports: { acme: number; agency: number };
  /** Where the prepared state is kept for the run (test/e2e/harness.ts fills it on first use). */
  templateRoot: string;
  /** Where the bundled Worker is kept for the run (from newBundleRoot). */
  bundleRoot: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2eEnterprises: SharedEnterprises;
  }
}

// Below the system's ephemeral range (32768+), so the kernel never hands them to another socket
// while they are free between two files; clear of the fixed ports of dev-script, production-config
// and reason-phrase (18993-18997).
const FIRST_PORT = 18787;
const LAST_PORT = 18991;

const isFree = (port: number) => assertPortFree(port).then(() => true, () => false);

/** The first pair of consecutive free ports from FIRST_PORT: another run may hold the first ones. */
async function freePair(): Promise<{ acme: number; agency: number }> {
  for (let port = FIRST_PORT; port < LAST_PORT; port += 2) {
    if ((await isFree(port)) && (await isFree(port + 1))) return { acme: port, agency: port + 1 };
  }
  throw new Error(`e2e: no two free ports between ${FIRST_PORT} and ${LAST_PORT} on 127.0.0.1`);
}

/**
 * A new directory for a bundled Worker, in the repository's .wrangler: Miniflare names a script's
 * modules by their path from the working directory, and workerd refuses one that starts with "..".
 */
export function newBundleRoot(): string {
  const parent = join(ROOT, ".wrangler");
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, "tmp-e2e-"));
}

export default async function setup(project: TestProject) {
  const templateRoot = mkdtempSync(join(tmpdir(), "leadflare-e2e-template-"));
  const bundleRoot = newBundleRoot();
  project.provide("e2eEnterprises", { ports: await freePair(), templateRoot, bundleRoot });
  return () => {
    for (const dir of [templateRoot, bundleRoot]) rmSync(dir, { recursive: true, force: true });
  };
}
