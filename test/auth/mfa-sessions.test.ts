import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/password";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { lastCodeFor, requestReset } from "./support";

// The SMS telephone is a login factor, like the password: an admin's change to it (a new number,
// or MFA turned on or off) ends the user's sessions in the write's own batch, and the codes already
// sent, to the old number or address, stop working (so do they when the username, a user's address
// for reset codes, changes). The same number sent again changes nothing.

const PASSWORD = "mfa-sessions-password-2026";
let nextId = 7600;

const phoneOf = (id: number, n = 0) => `+4477009${String(id * 10 + n).padStart(5, "0")}`;

/** A fresh publisher user with the given MFA telephone or none. */
async function newUser(telephone: string | null) {
  const id = nextId++;
  const username = `mfa-sessions-${id}@acme.test`;
  await env.DB.prepare("INSERT INTO users (id, username, password_hash, role, publisher_id, mfa_telephone) VALUES (?1, ?2, ?3, 'publisher', ?4, ?5)")
    .bind(id, username, await hashPassword(PASSWORD), DEMO.northwind.publisherId, telephone)
    .run();
  return { id, username, telephone };
}

/** A fresh user, signed in (through MFA when it has a telephone). */
async function freshUser(telephone: string | null) {
  const user = await newUser(telephone);
  return { ...user, ...(await signIn(user.username, telephone)) };
}

async function signIn(username: string, telephone: string | null) {
  let res = await call("/api/login", form({ username, password: PASSWORD }));
  if (telephone !== null) {
    expect(res.status).toBe(401);
    const { mfa_token } = (await res.json()) as { mfa_token: string };
    res = await call("/api/login", form({ username, password: PASSWORD, mfa_token, mfa_code: await lastCodeFor(telephone) }));
  }
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  return { access: body.access_token, refresh: body.refresh_token };
}

let admin: string;
beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
});

const put = (id: number, body: unknown) =>
  call(`/api/v4/users/${id}`, json(body, "PUT", { ...bearer(admin), "Content-Type": "application/ld+json" }));
const leads = async (token: string) => (await call("/api/v4/leads", { headers: bearer(token) })).status;
const refresh = async (token: string) => (await call("/api/login", form({ grant_type: "refresh_token", refresh_token: token }))).status;
const telephoneOf = async (id: number) =>
  (await env.DB.prepare("SELECT mfa_telephone FROM users WHERE id = ?1").bind(id).first<{ mfa_telephone: string | null }>())!.mfa_telephone;

async function expectEnded(user: { access: string; refresh: string }) {
  expect(await leads(user.access)).toBe(401);
  expect(await refresh(user.refresh)).toBe(400);
}

describe("a change of the MFA telephone", () => {
  it("a new number ends the user's sessions; a new sign-in goes through the new number", async () => {
    const user = await freshUser(phoneOf(nextId));
    expect(await leads(user.access)).toBe(200);
    const next = phoneOf(user.id, 1);
    expect((await put(user.id, { mfaTelephone: next })).status).toBe(200);
    await expectEnded(user);
    expect(await leads((await signIn(user.username, next)).access)).toBe(200);
  });

  it("turning MFA on ends the sessions opened without it", async () => {
    const user = await freshUser(null);
    expect(await leads(user.access)).toBe(200);
    expect((await put(user.id, { mfaTelephone: phoneOf(user.id) })).status).toBe(200);
    await expectEnded(user);
  });

  it("turning MFA off ends the sessions too", async () => {
    const user = await freshUser(phoneOf(nextId));
    expect((await put(user.id, { mfaTelephone: null })).status).toBe(200);
    await expectEnded(user);
    expect(await leads((await signIn(user.username, null)).access)).toBe(200);
  });

  it("the same number sent again, or no telephone sent, keeps the sessions", async () => {
    const phone = phoneOf(nextId);
    const user = await freshUser(phone);
    expect((await put(user.id, { mfaTelephone: phone, name: "Same number" })).status).toBe(200);
    expect((await put(user.id, { name: "Renamed" })).status).toBe(200);
    const off = await freshUser(null);
    expect((await put(off.id, { mfaTelephone: null })).status).toBe(200);
    for (const u of [user, off]) {
      expect(await leads(u.access)).toBe(200);
      expect(await refresh(u.refresh)).toBe(200);
    }
  });

  it("a refused change writes nothing and ends nothing", async () => {
    const phone = phoneOf(nextId);
    const user = await freshUser(phone);
    expect((await put(user.id, { mfaTelephone: "07700900123" })).status).toBe(422);
    // Valid on its own, refused with the username taken: the batch that holds the revocation fails whole.
    expect((await put(user.id, { mfaTelephone: phoneOf(user.id, 1), username: DEMO.admin.username })).status).toBe(422);
    expect(await telephoneOf(user.id)).toBe(phone);
    expect(await leads(user.access)).toBe(200);
    expect(await refresh(user.refresh)).toBe(200);
  });
});

describe("codes sent before the change", () => {
  it("an MFA code sent to the old number no longer signs in", async () => {
    const user = await newUser(phoneOf(nextId));
    const res = await call("/api/login", form({ username: user.username, password: PASSWORD }));
    expect(res.status).toBe(401);
    const { mfa_token } = (await res.json()) as { mfa_token: string };
    const code = await lastCodeFor(user.telephone!);
    expect((await put(user.id, { mfaTelephone: phoneOf(user.id, 1) })).status).toBe(200);
    const late = await call("/api/login", form({ username: user.username, password: PASSWORD, mfa_token, mfa_code: code }));
    expect(late.status).toBe(400);
    expect(await late.json()).toEqual({ error: "invalid_grant", error_description: "The MFA token is invalid or has expired; log in again" });
  });

  it("a reset code sent to the old number no longer sets the password", async () => {
    const user = await newUser(phoneOf(nextId));
    expect((await requestReset(user.username)).status).toBe(202);
    const code = await lastCodeFor(user.telephone!);
    expect((await put(user.id, { mfaTelephone: phoneOf(user.id, 1) })).status).toBe(200);
    const confirm = await call("/api/password-reset/confirm", form({ username: user.username, code, newPassword: "mfa-sessions-stolen-2026" }));
    expect(confirm.status).toBe(400);
    expect(await signIn(user.username, phoneOf(user.id, 1))).toMatchObject({ access: expect.any(String) });
  });

  it("a reset code sent to the old address no longer works once the username changed; the sessions go on", async () => {
    const user = await freshUser(null);
    expect((await requestReset(user.username)).status).toBe(202);
    const code = await lastCodeFor(user.username);
    const renamed = `renamed-${user.username}`;
    expect((await put(user.id, { username: renamed })).status).toBe(200);
    const confirm = await call("/api/password-reset/confirm", form({ username: renamed, code, newPassword: "mfa-sessions-stolen-2026" }));
    expect(confirm.status).toBe(400);
    expect(await leads(user.access)).toBe(200);
    expect(await refresh(user.refresh)).toBe(200);
  });

  it("a reset code sent to the address before MFA was turned on no longer works", async () => {
    const user = await newUser(null);
    expect((await requestReset(user.username)).status).toBe(202);
    const code = await lastCodeFor(user.username);
    expect((await put(user.id, { mfaTelephone: phoneOf(user.id) })).status).toBe(200);
    const confirm = await call("/api/password-reset/confirm", form({ username: user.username, code, newPassword: "mfa-sessions-stolen-2026" }));
    expect(confirm.status).toBe(400);
  });
});
