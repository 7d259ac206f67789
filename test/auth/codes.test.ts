import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/auth/password";
import { app } from "../../src/app";
import { BASE, form } from "../helpers";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";
import { clearSmsCooldown, lastCodeFor, outbox } from "./support";

// MFA and password reset codes under attack (issue 11): counted attempts under parallel guesses,
// one live challenge per user, a per-user lockout, one SMS per number per minute, and a reset
// request that answers the same whoever it names.

const PASSWORD = "codes-test-password-2026";
// Users of this file only, each with a telephone of its own.
const USERS = {
  parallel: { id: 901, username: "parallel@acme.test", telephone: "+447700900901" },
  single: { id: 902, username: "single@acme.test", telephone: "+447700900902" },
  locked: { id: 903, username: "locked@acme.test", telephone: "+447700900903" },
  cooldown: { id: 904, username: "cooldown@acme.test", telephone: "+447700900904" },
  nophone: { id: 905, username: "nophone@acme.test", telephone: null },
  resets: { id: 906, username: "resets@acme.test", telephone: "+447700900906" },
  recount: { id: 907, username: "recount@acme.test", telephone: "+447700900907" },
} as const;
type TestUser = (typeof USERS)[keyof typeof USERS];

beforeAll(async () => {
  const hash = await hashPassword(PASSWORD);
  await env.DB.batch(
    Object.values(USERS).map((u) =>
      env.DB.prepare("INSERT INTO users (id, username, password_hash, role, mfa_telephone) VALUES (?, ?, ?, 'admin', ?)").bind(
        u.id, u.username, hash, u.telephone,
      ),
    ),
  );
});

// Login limits raised: these tests are about the codes' own rules, not the login rate limits.
const LOOSE = { RATE_LIMIT_LOGIN: "1000000" };
const login = (user: TestUser, extra: Record<string, string> = {}) =>
  fetchWith(LOOSE, "/api/login", form({ username: user.username, password: PASSWORD, ...extra }, { "CF-Connecting-IP": freshIp() }));
const reset = (username: string) => fetchWith(LOOSE, "/api/password-reset", form({ username }, { "CF-Connecting-IP": freshIp() }));
const confirm = (username: string, code: string) =>
  fetchWith(LOOSE, "/api/password-reset/confirm", form({ username, code, newPassword: "a-new-password-2026" }, { "CF-Connecting-IP": freshIp() }));

async function startMfa(user: TestUser & { telephone: string }): Promise<{ mfaToken: string; code: string }> {
  await clearSmsCooldown(user.telephone);
  const res = await login(user);
  expect(res.status).toBe(401);
  const { mfa_token } = (await res.json()) as { mfa_token: string };
  return { mfaToken: mfa_token, code: await lastCodeFor(user.telephone) };
}
const other = (code: string) => (code.startsWith("0") ? `1${code.slice(1)}` : `0${code.slice(1)}`);
const description = async (res: Response) => ((await res.json()) as { error_description: string }).error_description;
const counted = async (table: string, userId: number) =>
  (await env.DB.prepare(`SELECT coalesce(sum(attempts), 0) AS n FROM ${table} WHERE user_id = ?`).bind(userId).first<{ n: number }>())!.n;

describe("attempts are counted before the code is compared", () => {
  it("20 parallel wrong MFA codes: at most 5 are counted and answered as wrong, the rest find the challenge dead", async () => {
    const { mfaToken, code } = await startMfa(USERS.parallel);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => login(USERS.parallel, { mfa_token: mfaToken, mfa_code: other(code) }).then(description)),
    );
    expect(answers.filter((a) => a === "Invalid MFA code").length).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a === "Invalid MFA code").length + answers.filter((a) => /expired/.test(a)).length).toBe(20);
    expect(await counted("mfa_challenges", USERS.parallel.id)).toBe(5);
    // The right code no longer opens it.
    expect(await description(await login(USERS.parallel, { mfa_token: mfaToken, mfa_code: code }))).toMatch(/expired/);
  });

  it("20 parallel wrong reset codes: at most 5 are counted, and the right code is refused afterwards", async () => {
    await clearSmsCooldown(USERS.resets.telephone);
    expect((await reset(USERS.resets.username)).status).toBe(202);
    const code = await lastCodeFor(USERS.resets.telephone);
    const answers = await Promise.all(Array.from({ length: 20 }, () => confirm(USERS.resets.username, other(code))));
    expect(answers.every((r) => r.status === 400)).toBe(true);
    expect(await counted("password_resets", USERS.resets.id)).toBe(5);
    expect((await confirm(USERS.resets.username, code)).status).toBe(400);
  });
});

describe("one live challenge per user", () => {
  it("a new MFA challenge closes the previous one", async () => {
    const first = await startMfa(USERS.single);
    const second = await startMfa(USERS.single);
    const old = await login(USERS.single, { mfa_token: first.mfaToken, mfa_code: first.code });
    expect(await description(old)).toMatch(/expired/);
    const current = await login(USERS.single, { mfa_token: second.mfaToken, mfa_code: second.code });
    expect(current.status).toBe(200);
  });

  it("a new reset code closes the previous one", async () => {
    await clearSmsCooldown(USERS.single.telephone);
    await reset(USERS.single.username);
    const first = await lastCodeFor(USERS.single.telephone);
    await clearSmsCooldown(USERS.single.telephone);
    await reset(USERS.single.username);
    const second = await lastCodeFor(USERS.single.telephone);
    expect((await confirm(USERS.single.username, first)).status).toBe(400);
    expect((await confirm(USERS.single.username, second)).status).toBe(202);
  });
});

describe("the per-user lockout", () => {
  it("ten wrong codes in a row, across challenges and kinds, lock the user's codes for 15 minutes", async () => {
    const user = USERS.locked;
    const mfa = await startMfa(user);
    for (let i = 0; i < 5; i++) {
      expect(await description(await login(user, { mfa_token: mfa.mfaToken, mfa_code: other(mfa.code) }))).toBe("Invalid MFA code");
    }
    await clearSmsCooldown(user.telephone);
    await reset(user.username);
    const resetCode = await lastCodeFor(user.telephone);
    for (let i = 0; i < 5; i++) expect((await confirm(user.username, other(resetCode))).status).toBe(400);

    // Locked: the password still has to be right, and then no code is sent or accepted.
    await clearSmsCooldown(user.telephone);
    const sent = (await outbox()).length;
    const refused = await login(user);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(14 * 60);
    expect(await description(refused)).toMatch(/locked/);
    expect((await reset(user.username)).status).toBe(202);
    expect((await outbox()).length).toBe(sent);

    // Once the lock has passed, codes work again.
    await env.DB.prepare("UPDATE users SET codes_locked_until_ts = ? WHERE id = ?").bind(Date.now() - 1, user.id).run();
    const again = await startMfa(user);
    expect((await login(user, { mfa_token: again.mfaToken, mfa_code: again.code })).status).toBe(200);
  });

  it("a right code resets the count of wrong ones", async () => {
    const user = USERS.recount;
    for (let round = 0; round < 3; round++) {
      const mfa = await startMfa(user);
      for (let i = 0; i < 4; i++) await login(user, { mfa_token: mfa.mfaToken, mfa_code: other(mfa.code) });
      expect((await login(user, { mfa_token: mfa.mfaToken, mfa_code: mfa.code })).status).toBe(200);
    }
  });
});

describe("the SMS cooldown", () => {
  it("sends one code per telephone per minute; the code already sent stays valid", async () => {
    const first = await startMfa(USERS.cooldown);
    const sent = (await outbox()).length;
    const second = await login(USERS.cooldown);
    expect(second.status).toBe(429);
    const wait = Number(second.headers.get("Retry-After"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect((await outbox()).length).toBe(sent);
    // A reset to the same telephone inside the minute sends nothing either, and answers as always.
    expect((await reset(USERS.cooldown.username)).status).toBe(202);
    expect((await outbox()).length).toBe(sent);
    expect((await login(USERS.cooldown, { mfa_token: first.mfaToken, mfa_code: first.code })).status).toBe(200);
  });
});

describe("POST /api/password-reset answers the same whoever it names", () => {
  // Twilio that cannot be reached: sending fails for every user that would get a code.
  const FAILING_SMS = {
    ...LOOSE,
    SMS_PROVIDER: "twilio" as const,
    TWILIO_ACCOUNT_SID: "AC0",
    TWILIO_AUTH_TOKEN: "t",
    TWILIO_FROM: "+15005550006",
    TWILIO_API_BASE: "http://127.0.0.1:9",
  };
  const shape = async (res: Response) => ({
    status: res.status,
    body: await res.text(),
    headers: [...res.headers].filter(([name]) => !/^ratelimit/i.test(name)).sort(),
  });

  it("unknown users, users without a telephone and users with one get identical answers, never a 500", async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    try {
      const answers = [];
      for (const username of ["ghost@acme.test", USERS.nophone.username, USERS.resets.username]) {
        await clearSmsCooldown(username === USERS.resets.username ? USERS.resets.telephone : username);
        answers.push(await shape(await fetchWith(FAILING_SMS, "/api/password-reset", form({ username }, { "CF-Connecting-IP": freshIp() }))));
      }
      expect(answers[0]).toMatchObject({ status: 202, body: JSON.stringify({ message: "If the account exists, a reset code has been sent." }) });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    } finally {
      console.error = original;
    }
    // The failed sends were logged (without the code), not turned into responses.
    expect(errors.join("\n")).toMatch(/password reset: no code sent/);
    expect(errors.join("\n")).not.toMatch(/\d{8}/);
  });

  it("answers before the database does, so its timing cannot depend on the user", async () => {
    // A D1 that never answers: the response must not wait for it.
    const never = new Promise<never>(() => {});
    const statement = { bind: () => statement, first: () => never, all: () => never, raw: () => never, run: () => never };
    const hangingDb = { prepare: () => statement, batch: () => never, exec: () => never };
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(new URL("/api/password-reset", BASE), form({ username: USERS.resets.username }, { "CF-Connecting-IP": freshIp() })),
      { ...env, DB: hangingDb as unknown as D1Database },
      ctx,
    );
    expect(res.status).toBe(202);
  });
});
