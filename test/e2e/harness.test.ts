import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Enterprises, startEnterprises } from "./harness";

// Smoke test of the harness itself: both enterprises come up on test ports with their own demo
// data and fixture URLs rewritten, and one can go down and come back with its state.
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
    expect(ent.urls).toEqual({ acme: "http://127.0.0.1:18787", agency: "http://127.0.0.1:18788" });
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
});
