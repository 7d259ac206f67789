import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import { ROOT, waitForWorker } from "../../scripts/lib/enterprise.mjs";

// `npm run dev` as a developer meets it: scripts/dev.mjs on a test port (--port), its output read
// line by line.

const PORT_TAKEN = 18996;
const PORT_DEV = 18997;
const open: { servers: Server[]; children: ChildProcess[] } = { servers: [], children: [] };

afterEach(async () => {
  for (const c of open.children.splice(0)) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(open.children.map((c) => new Promise((r) => (c.exitCode === null ? c.once("exit", r) : r(null)))));
  await Promise.all(open.servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Another program on a port, answering every request. */
async function foreignServer(port: number): Promise<void> {
  const server = createServer((_req, res) => res.end("someone else"));
  open.servers.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
}

function devScript(port: number) {
  const child = spawn(process.execPath, ["scripts/dev.mjs", "acme", "--port", String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  open.children.push(child);
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d) => (out.stdout += d));
  child.stderr!.on("data", (d) => (out.stderr += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, out, exited };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("scripts/dev.mjs", () => {
  it("says the port is taken and exits non-zero, instead of reporting another program as ready", async () => {
    await foreignServer(PORT_TAKEN);
    const { out, exited } = devScript(PORT_TAKEN);
    expect(await exited).toBe(1);
    expect(out.stderr).toContain(`[leadflare] port ${PORT_TAKEN} on 127.0.0.1 is taken by another process`);
    expect(out.stdout).not.toContain("ready");
  });

  it("does not take another server's answer for the Worker's", async () => {
    await foreignServer(PORT_TAKEN);
    await expect(waitForWorker(`http://127.0.0.1:${PORT_TAKEN}`, null, 10_000)).rejects.toThrow(
      `127.0.0.1:${PORT_TAKEN} is answered by another server, not by this leadflare Worker: the port is taken.`,
    );
  });

  it("serves with every server log line behind [acme], and fires the cron sweeper at once", async () => {
    const state = join(ROOT, ".wrangler/state", `acme-${PORT_DEV}`);
    rmSync(state, { recursive: true, force: true });
    try {
      const { child, out } = devScript(PORT_DEV);
      await until("ready", () => out.stdout.includes(`[leadflare] acme ready on http://127.0.0.1:${PORT_DEV}`), 150_000);
      await until("the first cron run", () => /^\[acme\] .*GET \/__scheduled 200 OK/m.test(out.stdout), 30_000);
      const res = await fetch(`http://127.0.0.1:${PORT_DEV}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
      expect(await res.text()).toBe("Ran scheduled event");
      child.kill("SIGTERM");
      await until("exit", () => child.exitCode !== null, 30_000);
      const lines = (out.stdout + out.stderr).split("\n").filter((l) => l !== "");
      expect(lines.filter((l) => !/^\[(acme|leadflare)\] /.test(l))).toEqual([]);
      expect(out.stdout + out.stderr).not.toMatch(/ENOTFOUND/);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});
