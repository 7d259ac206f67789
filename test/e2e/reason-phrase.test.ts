import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import * as direct from "../../scripts/lib/direct.mjs";
// @ts-ignore -- as above
import { ROOT } from "../../scripts/lib/enterprise.mjs";

// The status line on the wire: every surface says the standard reason phrase ("HTTP/1.1 200 OK"),
// which only a real HTTP server shows (inside workerd a Response's statusText is "" either way).
const PORT = 18994;
const BASE = `http://127.0.0.1:${PORT}`;
const BUNDLE_DIR = `.wrangler/tmp/reason-phrase-${process.pid}`;

describe("HTTP reason phrases", () => {
  let root: string;
  let mf: { dispose(): Promise<void> };
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "leadflare-reason-"));
    const script = await direct.bundle("wrangler.toml", BUNDLE_DIR);
    mf = await direct.startDirect({ script, persistTo: root, port: PORT, noConsumers: true });
    await direct.loadDemoState(mf, "acme", { acme: BASE, agency: "http://127.0.0.1:18995" });
  });
  afterAll(async () => {
    await mf?.dispose();
    rmSync(root, { recursive: true, force: true });
    rmSync(join(ROOT, BUNDLE_DIR), { recursive: true, force: true });
  });

  it("are the standard ones on v4, the publisher API, login and unknown routes", async () => {
    const login = await fetch(`${BASE}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin@acme.test", password: "acme-admin-2026!" }).toString(),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const auth = { headers: { Authorization: `Bearer ${access_token}` } };
    const seen = {
      login: login.statusText,
      v4Collection: (await fetch(`${BASE}/api/v4/campaigns`, auth)).statusText,
      v4Missing: (await fetch(`${BASE}/api/v4/campaigns/999999`, auth)).statusText,
      v4Anonymous: (await fetch(`${BASE}/api/v4/campaigns`)).statusText,
      publisherAnonymous: (await fetch(`${BASE}/api/v2.4/publisher/links/601`)).statusText,
      unknownApiRoute: (await fetch(`${BASE}/api/nothing`)).statusText,
    };
    expect(seen).toEqual({
      login: "OK",
      v4Collection: "OK",
      v4Missing: "Not Found",
      v4Anonymous: "Unauthorized",
      publisherAnonymous: "Unauthorized",
      unknownApiRoute: "Not Found",
    });
  });
});
