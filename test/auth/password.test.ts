import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/password";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { clearSmsCooldown, lastCodeFor, requestReset } from "./support";

async function refreshTokenOf(user: { username: string; password: string }): Promise<string> {
  const res = await call("/api/login", form(user));
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

const refreshWorks = async (token: string) =>
  (await call("/api/login", form({ grant_type: "refresh_token", refresh_token: token }))).status === 200;

describe("POST /api/v4/users/{id}/change-password", () => {
  it("changes the password (202, no body), revokes refresh tokens, and the old password stops working", async () => {
    const user = { username: DEMO.agencyPartners.username, password: DEMO.agencyPartners.password };
    const refresh = await refreshTokenOf(user);
    const token = await loginAs(user);
    const res = await call(
      `/api/v4/users/${DEMO.agencyPartners.id}/change-password`,
      json({ currentPassword: user.password, newPassword: "a-brand-new-passphrase" }, "POST", bearer(token)),
    );
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    expect(await refreshWorks(refresh)).toBe(false);
    expect((await call("/api/login", form(user))).status).toBe(400);
    expect((await call("/api/login", form({ ...user, password: "a-brand-new-passphrase" }))).status).toBe(200);
  });

  it("accepts the token as the access_token query parameter", async () => {
    const token = await loginAs(DEMO.admin);
    const res = await call(
      `/api/v4/users/${DEMO.admin.id}/change-password?access_token=${token}`,
      json({ currentPassword: "wrong-password", newPassword: "another-long-password" }),
    );
    // Authenticated (not 401), refused for the wrong current password.
    expect(res.status).toBe(422);
  });

  it("refuses a wrong current password, a short new one, and someone else's account", async () => {
    const token = await loginAs(DEMO.northwind);
    const url = `/api/v4/users/${DEMO.northwind.id}/change-password`;
    const wrong = await call(url, json({ currentPassword: "nope", newPassword: "long-enough-password" }, "POST", bearer(token)));
    expect(wrong.status).toBe(422);
    const body = (await wrong.json()) as { "@type": string; violations: { propertyPath: string }[] };
    expect(body["@type"]).toBe("ConstraintViolationList");
    expect(body.violations[0]!.propertyPath).toBe("currentPassword");

    const short = await call(url, json({ currentPassword: DEMO.northwind.password, newPassword: "short" }, "POST", bearer(token)));
    expect(short.status).toBe(422);
    expect(((await short.json()) as { violations: { propertyPath: string }[] }).violations[0]!.propertyPath).toBe("newPassword");

    const other = await call(
      `/api/v4/users/${DEMO.admin.id}/change-password`,
      json({ currentPassword: DEMO.northwind.password, newPassword: "long-enough-password" }, "POST", bearer(token)),
    );
    expect(other.status).toBe(403);

    const anonymous = await call(url, json({ currentPassword: "x", newPassword: "long-enough-password" }));
    expect(anonymous.status).toBe(401);
    // The password is unchanged after all of these.
    expect((await call("/api/login", form(DEMO.northwind))).status).toBe(200);
  });
});

describe("expired passwords", () => {
  it("still issue a token flagged password_expired; other calls fail until the password is changed", async () => {
    await env.DB.prepare("UPDATE users SET password_expires_ts = ? WHERE id = ?").bind(Date.now() - 1000, DEMO.admin.id).run();
    const res = await call("/api/login", form(DEMO.admin));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; password_expired: boolean };
    expect(body.password_expired).toBe(true);

    const blocked = await call("/api/v4/leads", { headers: bearer(body.access_token) });
    expect(blocked.status).toBe(403);
    expect(((await blocked.json()) as Record<string, string>)["hydra:description"]).toBe(
      "Your password has expired and must be changed.",
    );
    const otherUser = await call("/api/v4/users/168/change-password", json({}, "POST", bearer(body.access_token)));
    // The change-password route lets expired passwords through, but only for one's own account.
    expect(otherUser.status).toBe(403);

    const changed = await call(
      `/api/v4/users/${DEMO.admin.id}/change-password`,
      json({ currentPassword: DEMO.admin.password, newPassword: "renewed-admin-password" }, "POST", bearer(body.access_token)),
    );
    expect(changed.status).toBe(202);
    const after = (await (await call("/api/login", form({ username: DEMO.admin.username, password: "renewed-admin-password" }))).json()) as {
      password_expired: boolean;
    };
    expect(after.password_expired).toBe(false);
    const unblocked = await call("/api/v4/leads", { headers: bearer(await loginAs({ username: DEMO.admin.username, password: "renewed-admin-password" })) });
    expect(unblocked.status).toBe(200);
  });
});

describe("password reset over the API", () => {
  it("answers the same for known and unknown users, and only known users get a code", async () => {
    const known = await requestReset(DEMO.northwind.username);
    const unknown = await requestReset("nobody@acme.test");
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.json()).toEqual(await unknown.json());
    const msgs = (await (await call("/__dev/outbox")).json()) as { to: string }[];
    expect(msgs.some((m) => m.to === "nobody@acme.test")).toBe(false);
    expect(msgs.some((m) => m.to === DEMO.northwind.username)).toBe(true);
  });

  it("sets the new password with the code, revokes refresh tokens, and the code is single-use", async () => {
    const user = { username: DEMO.mfaAdmin.username, password: DEMO.mfaAdmin.password };
    await requestReset(user.username);
    // MFA users receive the code on their telephone.
    const code = await lastCodeFor(DEMO.mfaAdmin.telephone);
    expect(code).toMatch(/^\d{8}$/);
    const confirm = await call("/api/password-reset/confirm", json({ username: user.username, code, newPassword: "reset-by-sms-2026" }));
    expect(confirm.status).toBe(202);
    const again = await call("/api/password-reset/confirm", json({ username: user.username, code, newPassword: "reset-again-2026" }));
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant", error_description: "The reset code is invalid or has expired" });
    // The new password works (MFA still applies: the first step answers Mfa Required, once the
    // telephone's one-SMS-a-minute slot taken by the reset code is free again).
    await clearSmsCooldown(DEMO.mfaAdmin.telephone);
    const login = await call("/api/login", form({ ...user, password: "reset-by-sms-2026" }));
    expect(((await login.json()) as { error: string }).error).toBe("Mfa Required");
  });

  it("refuses wrong codes, dies after five, and validates the new password", async () => {
    // Within the minute after the first test's code, no new code is sent: that one is still live.
    await requestReset(DEMO.northwind.username);
    const code = await lastCodeFor(DEMO.northwind.username);
    const weak = await call("/api/password-reset/confirm", form({ username: DEMO.northwind.username, code, newPassword: "short" }));
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { error: string }).error).toBe("invalid_request");
    const wrong = code === "00000000" ? "11111111" : "00000000";
    for (let i = 0; i < 5; i++) {
      const res = await call("/api/password-reset/confirm", form({ username: DEMO.northwind.username, code: wrong, newPassword: "long-enough-password" }));
      expect(res.status).toBe(400);
    }
    const exhausted = await call("/api/password-reset/confirm", form({ username: DEMO.northwind.username, code, newPassword: "long-enough-password" }));
    expect(exhausted.status).toBe(400);
    expect((await call("/api/login", form(DEMO.northwind))).status).toBe(200);
  });
});

describe("one password policy for every new password", () => {
  // 12 to 128 characters, whether the user changes it, resets it, or an admin sets it (src/auth/account.ts).
  const user = { id: 7400, username: "policy-7400@acme.test", password: "policy-password-2026" };
  // The user is an admin: its own token sets its password through /api/v4/users as any admin would.
  const admin = (body: unknown, token: string) => call(`/api/v4/users/${user.id}`, json(body, "PUT", { ...bearer(token), "Content-Type": "application/ld+json" }));

  it("refuses 11 characters and 129 on a user's own change, a reset and an admin's write, and changes nothing", async () => {
    await env.DB.prepare("INSERT INTO users (id, username, password_hash, role) VALUES (?1, ?2, ?3, 'admin')")
      .bind(user.id, user.username, await hashPassword(user.password))
      .run();
    const token = await loginAs(user);
    for (const newPassword of ["eleven-char", "p".repeat(129)]) {
      const own = await call(`/api/v4/users/${user.id}/change-password`, json({ currentPassword: user.password, newPassword }, "POST", bearer(token)));
      expect(own.status).toBe(422);
      expect(((await own.json()) as { violations: { propertyPath: string }[] }).violations[0]!.propertyPath).toBe("newPassword");

      const reset = await call("/api/password-reset/confirm", form({ username: user.username, code: "00000000", newPassword }));
      expect(reset.status).toBe(400);
      expect(((await reset.json()) as { error_description: string }).error_description).toMatch(/^newPassword: The password must be at (least 12|most 128) characters long\.$/);

      const set = await admin({ password: newPassword }, token);
      expect(set.status).toBe(422);
      expect(((await set.json()) as { violations: { propertyPath: string }[] }).violations[0]!.propertyPath).toBe("password");
    }
    // Nothing changed: the old password still signs in, and the session is alive.
    expect((await call("/api/login", form(user))).status).toBe(200);
    expect((await call("/api/v4/users", { headers: bearer(token) })).status).toBe(200);
    // Twelve characters are enough on every path.
    expect((await admin({ password: "twelve-chars" }, token)).status).toBe(200);
  });
});

describe("the local SMS outbox", () => {
  it("is served only with the outbox provider", async () => {
    const { app } = await import("../../src/app");
    const res = await app.fetch(new Request("http://127.0.0.1:8787/__dev/outbox"), { ...env, SMS_PROVIDER: "twilio" });
    expect(res.status).toBe(404);
    expect((await call("/__dev/outbox")).status).toBe(200);
  });

  it("refuses to keep codes in the outbox outside local mode", async () => {
    const { messageSender } = await import("../../src/auth/sms");
    expect(() => messageSender({ ...env, ENVIRONMENT: "production", SMS_PROVIDER: "outbox" })).toThrow(/local only/);
  });

  it("the twilio provider calls the Twilio REST API shape with the configured credentials", async () => {
    const { messageSender } = await import("../../src/auth/sms");
    const seen: Request[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init));
      return new Response("{}", { status: 201 });
    };
    try {
      await messageSender({
        ...env,
        SMS_PROVIDER: "twilio",
        TWILIO_ACCOUNT_SID: "AC123",
        TWILIO_AUTH_TOKEN: "secret",
        TWILIO_FROM: "+15005550006",
        TWILIO_API_BASE: "https://twilio.test",
      }).send("+447700900168", "code 123456");
    } finally {
      globalThis.fetch = original;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("https://twilio.test/2010-04-01/Accounts/AC123/Messages.json");
    expect(seen[0]!.headers.get("Authorization")).toBe(`Basic ${btoa("AC123:secret")}`);
    const params = new URLSearchParams(await seen[0]!.text());
    expect(Object.fromEntries(params)).toEqual({ To: "+447700900168", From: "+15005550006", Body: "code 123456" });
  });
});
