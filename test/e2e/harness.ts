// Real local servers for the "e2e" vitest project: each demo enterprise under `wrangler dev`
// (real D1, Durable Objects and Queues with their consumers), on test ports, with fresh state in a
// temporary directory, migrated and loaded with the demo data whose URLs point at the test ports.
// Plain TS run by vitest in Node: scripts/lib/enterprise.mjs does the work for dev, demo and bench too.
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import * as lib from "../../scripts/lib/enterprise.mjs";

export type EnterpriseName = "acme" | "agency";

export interface StartOptions {
  /** Ports to serve on; never the demo ports 8787/8788, which a developer may be using. */
  acme?: number;
  agency?: number;
  /** First inspector port (acme; agency gets the next), so that two harnesses can run side by side. */
  inspectorPort?: number;
  /** Extra `--var` overrides for both enterprises (e.g. raised rate limits). */
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
  /** Runs SQL against an enterprise's D1 (best while it is stopped; works while running too). */
  query<T = Record<string, unknown>>(name: EnterpriseName, sql: string): Promise<T[]>;
  /** Stops both and deletes their state. */
  stop(): Promise<void>;
}

interface Child {
  pid: number;
  exitCode: number | null;
}

const NAMES: EnterpriseName[] = ["acme", "agency"];
const INSPECTOR_BASE = 19229;

export async function startEnterprises(options: StartOptions = {}): Promise<Enterprises> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");

  const ports: Record<EnterpriseName, number> = { acme: options.acme ?? 18787, agency: options.agency ?? 18788 };
  for (const n of NAMES) {
    if (ports[n] === 8787 || ports[n] === 8788) throw new Error("e2e: use test ports, not the demo ports 8787/8788");
  }
  const urls = { acme: `http://127.0.0.1:${ports.acme}`, agency: `http://127.0.0.1:${ports.agency}` };
  const root = mkdtempSync(join(tmpdir(), "leadflare-e2e-"));
  const stateDirs = { acme: join(root, "acme"), agency: join(root, "agency") };
  const children: Partial<Record<EnterpriseName, Child>> = {};

  const start = async (name: EnterpriseName) => {
    const child = lib.startWrangler({
      enterprise: name,
      port: ports[name],
      inspectorPort: (options.inspectorPort ?? INSPECTOR_BASE) + NAMES.indexOf(name),
      persistTo: stateDirs[name],
      name: `leadflare-e2e-${name}`,
      output: "pipe",
      vars: { ENVIRONMENT: "local", ALLOW_PRIVATE_OUTBOUND: "true", ...options.vars },
    }) as Child;
    children[name] = child;
    await lib.waitForHttp(`${urls[name]}/`, child);
  };
  const stopEnterprise = async (name: EnterpriseName) => {
    await lib.stopProcessGroup(children[name]);
    delete children[name];
  };
  const stop = async () => {
    await Promise.all(NAMES.map(stopEnterprise));
    rmSync(root, { recursive: true, force: true });
  };

  try {
    // Sequential preparation: the wrangler CLI is CPU-bound and the machine is small.
    for (const n of NAMES) await lib.prepareState({ enterprise: n, persistTo: stateDirs[n], urls, fresh: true });
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
    query: (name, sql) => lib.d1Query(stateDirs[name], sql),
    stop,
  };
}
