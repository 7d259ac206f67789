import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sha256Hex } from "../../src/auth/crypto";
import { call, form } from "../helpers";
import { fetchWith } from "../ratelimit/app-fetch";

// Shared by the login, password and code tests.

export async function outbox(): Promise<{ to: string; body: string; createdTs: string }[]> {
  return (await call("/__dev/outbox")).json();
}

export async function lastCodeFor(to: string): Promise<string> {
  const msgs = (await outbox()).filter((m) => m.to === to);
  return /(\d{6,8})/.exec(msgs.at(-1)!.body)![1]!;
}

/** POST /api/password-reset, waiting for the code to be sent (it is sent after the response). */
export const requestReset = (username: string, headers: Record<string, string> = {}) =>
  fetchWith({}, "/api/password-reset", form({ username }, headers));

/**
 * Frees a destination's SMS send slot, as if its cooldown had passed, so that one test can start
 * several challenges for one telephone without waiting a minute.
 */
export async function clearSmsCooldown(to: string): Promise<void> {
  const stub = env.RATE_LIMITER.getByName(`sms:${await sha256Hex(to)}`);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec("DELETE FROM hits");
  });
}
