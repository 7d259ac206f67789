import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
// @ts-ignore -- plain ESM module without type declarations (test/e2e is outside tsconfig anyway)
import * as lib from "../../scripts/lib/enterprise.mjs";
import { type Enterprises, startEnterprises } from "./harness";

// Smoke test of the harness itself: both enterprises come up on the run's test ports with their
// own demo data and fixture URLs rewritten, one can go down and come back with its state, and the
// next start gets fresh state again (a copy of the state prepared once for the run).
describe("e2e harness", () => {
  let ent: Enterprises;
  beforeAll(async () => {
    ent = await startEnterprises();
  });
  afterAll(async () => {
    await ent?.stop();
  });

  const login = (url: string, username: string, password: string) =>
    fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password }).toString(),
    });

  it("serves each enterprise with its own users", async () => {
    const { ports } = inject("e2eEnterprises");
    expect(ports.acme).not.toBe(8787);
    expect(ports.agency).not.toBe(8788);
    expect(ent.urls).toEqual({ acme: `http://127.0.0.1:${ports.acme}`, agency: `http://127.0.0.1:${ports.agency}` });
    const acme = await login(ent.urls.acme, "admin@acme.test", "acme-admin-2026!");
    expect(acme.status).toBe(200);
    expect(((await acme.json()) as { token_type: string }).token_type).toBe("bearer");
    const agency = await login(ent.urls.agency, "admin@agency.test", "agency-admin-2026!");
    expect(agency.status).toBe(200);
    // Separate state: acme's admin does not exist in agency.
    const cross = await login(ent.urls.agency, "admin@acme.test", "acme-admin-2026!");
    expect(cross.status).toBe(400);
  });

  it("points agency's Convertr Connect job at the test acme", async () => {
    const rows = await ent.query<{ config: string }>("agency", "SELECT config FROM campaign_processr_jobs WHERE id = 7102");
    expect(JSON.parse(rows[0].config).enterpriseUrl).toBe(ent.urls.acme);
  });

  it("takes acme down and brings it back on the same state", async () => {
    const before = await login(ent.urls.acme, "admin@acme.test", "acme-admin-2026!");
    const { refresh_token } = (await before.json()) as { refresh_token: string };
    await ent.stopEnterprise("acme");
    await expect(fetch(`${ent.urls.acme}/`)).rejects.toThrow();
    await ent.restart("acme");
    // The refresh token issued before the restart is still in acme's D1.
    const refreshed = await fetch(`${ent.urls.acme}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token }).toString(),
    });
    expect(refreshed.status).toBe(200);
  });

  it("starts the next enterprises on the same ports with fresh state", async () => {
    const issued = "SELECT COUNT(*) AS n FROM refresh_tokens";
    expect((await ent.query<{ n: number }>("acme", issued))[0].n).toBeGreaterThan(0);
    const urls = ent.urls;
    await ent.stop();
    ent = await startEnterprises();
    expect(ent.urls).toEqual(urls);
    // What the previous enterprises wrote (the refresh tokens of the logins above) is not there.
    expect((await ent.query<{ n: number }>("acme", issued))[0].n).toBe(0);
    const acme = await login(ent.urls.acme, "admin@acme.test", "acme-admin-2026!");
    expect(acme.status).toBe(200);
  });
});

// wrangler exits with "Address already in use" when its inspector port is taken between the pick
// and its bind: a port the kernel hands out (port 0) can go to any other socket on a busy machine.
describe("inspector ports", () => {
  it("are picked below the ephemeral range, from the port + 1000, skipping a taken one", async () => {
    const { createServer } = await import("node:net");
    const { ports } = inject("e2eEnterprises");
    const taken = createServer();
    await new Promise<void>((r) => taken.listen({ host: "127.0.0.1", port: ports.acme + 1000 }, r));
    try {
      expect(await lib.freeInspectorPort(ports.acme)).toBe(ports.acme + 1002);
    } finally {
      await new Promise((r) => taken.close(r));
    }
    expect(await lib.freeInspectorPort(ports.acme)).toBe(ports.acme + 1000);
  });
});
