// Real local servers for the "e2e" vitest project: each demo enterprise on workerd through Miniflare
// (real D1, Durable Objects and Queues with their consumers), on test ports, with fresh state in a
// temporary directory, migrated and loaded with the demo data whose URLs point at the test ports.
// The Worker is the bundle `wrangler deploy` would upload, with wrangler.toml's [env.dev] bindings
// read through wrangler (scripts/lib/direct.mjs, as the bench serves it): the runtime `wrangler dev`
// runs, without its bundler, proxy and file watcher, which cost 5.5 CPU s per start (1.1 s here) and
// five times the CPU per request. `npm run dev` itself is tested by test/e2e/dev-script.test.ts.
// Plain TS run by vitest in Node: scripts/lib/enterprise.mjs prepares the state for dev, demo and bench too.
// Within the e2e project every file gets the run's pair of ports (test/e2e/global-setup.ts), the
// bundle built once for the run and a copy of the state prepared once for it: copying it takes
// milliseconds, preparing it seconds.
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { inject } from "vitest";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import { bundle, startDirect } from "../../scripts/lib/direct.mjs";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import * as lib from "../../scripts/lib/enterprise.mjs";
import { newBundleRoot, type SharedEnterprises } from "./global-setup.ts";

export type EnterpriseName = "acme" | "agency";

export interface StartOptions {
  /**
   * Ports to serve on (by default the run's pair, or 18787/18788 outside the e2e project); never the
   * demo ports 8787/8788, which a developer may be using. Other ports prepare their own state.
   */
  acme?: number;
  agency?: number;
  /** First inspector port (acme; agency gets the next); by default none. */
  inspectorPort?: number;
  /** Extra vars for both enterprises, over wrangler.toml's [env.dev.vars] (e.g. raised rate limits). */
  vars?: Record<string, string>;
}

export interface Enterprises {
  urls: Record<EnterpriseName, string>;
  /** Directory holding each enterprise's local state (D1, DOs, queues). */
  stateDirs: Record<EnterpriseName, string>;
  /** Stops one enterprise; its state stays, so `restart` brings it back with everything it had. */
  stopEnterprise(name: EnterpriseName): Promise<void>;
  /** Starts a stopped enterprise again (or restarts a running one) on the same port and state. */
  restart(name: EnterpriseName): Promise<void>;
  /** Runs SQL against an enterprise's D1, running or stopped. */
  query<T = Record<string, unknown>>(name: EnterpriseName, sql: string): Promise<T[]>;
  /** Stops both and deletes their state. */
  stop(): Promise<void>;
}

const NAMES: EnterpriseName[] = ["acme", "agency"];
const DEFAULT_PORTS: Record<EnterpriseName, number> = { acme: 18787, agency: 18788 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until nothing listens on `port` any more: the previous file's (or the restarted
 * enterprise's) workerd can hold it for a moment after it was disposed.
 */
async function waitForPortFree(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await lib.assertPortFree(port);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

/** Migrates and seeds both enterprises for `urls` into `dirs`. */
async function prepare(dirs: Record<EnterpriseName, string>, urls: Record<EnterpriseName, string>): Promise<void> {
  await Promise.all(NAMES.map((n) => lib.prepareState({ enterprise: n, persistTo: dirs[n], urls })));
}

/**
 * `<root>/ready`, built by `build(dir)` for its first caller: it is built beside and renamed into
 * place, so a half-built one is never used.
 */
async function once(root: string, build: (dir: string) => Promise<void>): Promise<string> {
  const ready = join(root, "ready");
  if (existsSync(ready)) return ready;
  const work = mkdtempSync(join(root, "preparing-"));
  try {
    await build(work);
    renameSync(work, ready);
  } catch (e) {
    // Another file built it meanwhile (the rename onto it failed): use theirs.
    if (!existsSync(ready)) throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return ready;
}

/** The run's prepared state (`<templateRoot>/ready/<enterprise>`), prepared by the first caller. */
const template = (shared: SharedEnterprises, urls: Record<EnterpriseName, string>) =>
  once(shared.templateRoot, (work) => prepare({ acme: join(work, "acme"), agency: join(work, "agency") }, urls));

/** The bundled Worker in `dir` (`wrangler deploy --dry-run`, in a directory from newBundleRoot). */
const scriptIn = (dir: string) => join(dir, readdirSync(dir).find((f) => f.endsWith(".js"))!);

/**
 * Runs SQL on the D1 file in an enterprise's state directly: SQLite in WAL mode, which the running
 * workerd shares with other processes as `wrangler d1 execute --local` does, in milliseconds where
 * a wrangler CLI run takes seconds (tests poll with it).
 */
async function queryD1<T>(stateDir: string, sql: string): Promise<T[]> {
  // Imported here: only the files that query get Node's "experimental" notice for it.
  const { DatabaseSync } = await import("node:sqlite");
  const dir = join(stateDir, "v3/d1/miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`e2e: expected one D1 database in ${dir}, found ${files.length}`);
  // A write waits while the Worker holds the write lock.
  const db = new DatabaseSync(join(dir, files[0]!), { timeout: 10_000 });
  try {
    return db.prepare(sql).all().map((row) => ({ ...row }) as T);
  } finally {
    db.close();
  }
}

export async function startEnterprises(options: StartOptions = {}): Promise<Enterprises> {
  // Outside vitest (scripts/screenshots.mjs, the bench) there is nothing to inject.
  const shared = process.env.VITEST ? (inject("e2eEnterprises") as SharedEnterprises | undefined) : undefined;
  const defaults = shared?.ports ?? DEFAULT_PORTS;
  const ports: Record<EnterpriseName, number> = { acme: options.acme ?? defaults.acme, agency: options.agency ?? defaults.agency };
  for (const n of NAMES) {
    if (ports[n] === 8787 || ports[n] === 8788) throw new Error("e2e: use test ports, not the demo ports 8787/8788");
  }
  const urls = { acme: `http://127.0.0.1:${ports.acme}`, agency: `http://127.0.0.1:${ports.agency}` };
  const root = mkdtempSync(join(tmpdir(), "leadflare-e2e-"));
  const stateDirs = { acme: join(root, "acme"), agency: join(root, "agency") };
  // Outside vitest, a bundle of this call's own (inside the repository: see scriptIn).
  const ownBundle = shared ? undefined : newBundleRoot();
  const servers: Partial<Record<EnterpriseName, Miniflare>> = {};
  let script: string;

  const start = async (name: EnterpriseName) => {
    await waitForPortFree(ports[name]);
    servers[name] = await startDirect({
      script,
      port: ports[name],
      persistTo: stateDirs[name],
      vars: { ENTERPRISE: name, BASE_URL: urls[name], ENVIRONMENT: "local", ALLOW_PRIVATE_OUTBOUND: "true", ...options.vars },
      ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort + NAMES.indexOf(name) }),
      // The Worker's console output is not the tests' (wrangler dev's was piped away as well).
      onLog: () => {},
    });
  };
  const stopEnterprise = async (name: EnterpriseName) => {
    await servers[name]?.dispose();
    delete servers[name];
  };
  const stop = async () => {
    await Promise.all(NAMES.map(stopEnterprise));
    rmSync(root, { recursive: true, force: true });
    if (ownBundle) rmSync(ownBundle, { recursive: true, force: true });
  };

  try {
    if (shared && ports.acme === shared.ports.acme && ports.agency === shared.ports.agency) {
      const ready = await template(shared, urls);
      for (const n of NAMES) cpSync(join(ready, n), stateDirs[n], { recursive: true });
    } else {
      await prepare(stateDirs, urls);
    }
    script = scriptIn(shared ? await once(shared.bundleRoot, (dir) => bundle("wrangler.toml", dir)) : await bundle("wrangler.toml", ownBundle).then(() => ownBundle!));
    await Promise.all(NAMES.map(start));
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    urls,
    stateDirs,
    stopEnterprise,
    restart: async (name) => {
      await stopEnterprise(name);
      await start(name);
    },
    query: (name, sql) => queryD1(stateDirs[name], sql),
    stop,
  };
}
