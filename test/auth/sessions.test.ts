import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/password";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { countingDb, fetchWith } from "../ratelimit/app-fetch";

// Setting a user's password or disabling the user ends the user's sessions (issue 11): refresh
// tokens are revoked and every access token issued before is refused.

const PASSWORD = "sessions-test-password-2026";
const NEW_PASSWORD = "sessions-new-password-2026";
let nextId = 920;

/** A fresh publisher user (publisher 12), so each test owns its sessions. */
async function freshUser(role: "publisher" | "admin" = "publisher") {
  const id = nextId++;
  const username = `sessions-${id}@acme.test`;
  await env.DB.prepare("INSERT INTO users (id, username, password_hash, role, publisher_id) VALUES (?, ?, ?, ?, ?)")
    .bind(id, username, await hashPassword(PASSWORD), role, role === "publisher" ? 12 : null)
    .run();
  const res = await call("/api/login", form({ username, password: PASSWORD }));
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  return { id, username, access: body.access_token, refresh: body.refresh_token };
}

let admin: string;
beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
});

const leads = (token: string) => call("/api/v4/leads", { headers: bearer(token) });
const refresh = (token: string) => call("/api/login", form({ grant_type: "refresh_token", refresh_token: token }));
const adminPut = (id: number, body: unknown) =>
  call(`/api/v4/users/${id}`, json(body, "PUT", { ...bearer(admin), "Content-Type": "application/ld+json" }));

async function expectSessionsEnded(user: { access: string; refresh: string }) {
  const res = await leads(user.access);
  expect(res.status).toBe(401);
  expect(((await res.json()) as Record<string, string>)["hydra:description"]).toBe("The access token provided is invalid.");
  expect((await refresh(user.refresh)).status).toBe(400);
}

describe("through v4, as an admin", () => {
  it("setting the password refuses the user's earlier access tokens and revokes the refresh tokens", async () => {
    const user = await freshUser();
    expect((await leads(user.access)).status).toBe(200);
    expect((await adminPut(user.id, { password: NEW_PASSWORD })).status).toBe(200);
    await expectSessionsEnded(user);
    // A new login with the new password gets a working token.
    expect((await leads(await loginAs({ username: user.username, password: NEW_PASSWORD }))).status).toBe(200);
  });

  it("disabling the user does the same, and enabling it again does not bring the old tokens back", async () => {
    const user = await freshUser();
    expect((await adminPut(user.id, { disabled: true })).status).toBe(200);
    await expectSessionsEnded(user);
    expect((await adminPut(user.id, { disabled: false })).status).toBe(200);
    expect((await leads(user.access)).status).toBe(401);
    expect((await leads(await loginAs({ username: user.username, password: PASSWORD }))).status).toBe(200);
  });

  it("DELETE (which disables) ends the sessions too", async () => {
    const user = await freshUser();
    const res = await call(`/api/v4/users/${user.id}`, { method: "DELETE", headers: bearer(admin) });
    expect(res.status).toBe(204);
    await expectSessionsEnded(user);
  });

  it("other changes keep the sessions, and a refused write changes nothing", async () => {
    const user = await freshUser();
    expect((await adminPut(user.id, { name: "Renamed" })).status).toBe(200);
    const taken = await adminPut(user.id, { username: DEMO.admin.username, password: NEW_PASSWORD });
    expect(taken.status).toBe(422);
    expect((await leads(user.access)).status).toBe(200);
    expect((await refresh(user.refresh)).status).toBe(200);
  });

  it("a disabled admin's token no longer opens the enterprise webhooks", async () => {
    const other = await freshUser("admin");
    const path = "/api/webhook/validate/no-such-lead";
    expect((await call(path, { method: "POST", headers: bearer(other.access) })).status).toBe(404);
    expect((await adminPut(other.id, { disabled: true })).status).toBe(200);
    expect((await call(path, { method: "POST", headers: bearer(other.access) })).status).toBe(401);
  });
});

describe("by the user", () => {
  it("changing one's own password ends the earlier sessions, the one used to change it included", async () => {
    const user = await freshUser();
    const res = await call(
      `/api/v4/users/${user.id}/change-password`,
      json({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, "POST", bearer(user.access)),
    );
    expect(res.status).toBe(202);
    await expectSessionsEnded(user);
  });
});

describe("cost", () => {
  it("an isolate reads a user's session state once, not on every request", async () => {
    const user = await freshUser();
    const d1 = countingDb();
    const callsFor = async () => {
      d1.calls = 0;
      expect((await fetchWith({ DB: d1.db }, `/api/v4/users/${user.id}/change-password`, json({}, "POST", bearer(user.access)))).status).toBe(422);
      return d1.calls;
    };
    const first = await callsFor();
    const second = await callsFor();
    expect(first).toBe(1);
    expect(second).toBe(0);
  });
});
