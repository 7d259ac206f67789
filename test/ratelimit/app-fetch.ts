import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import type { Env } from "../../src/env";
import { BASE } from "../helpers";

/**
 * Calls the Worker's app with some vars overridden (small rate limits, production mode...). The
 * vars are read per request, so this exercises the same code as the deployed Worker.
 */
export async function fetchWith(overrides: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(new URL(path, BASE), init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

let counter = 0;
/** A client IP no other test of the file uses, so each test starts with empty windows. */
export const freshIp = () => {
  counter += 1;
  return `10.7.${counter >> 8}.${counter & 255}`;
};

/** The test D1 binding, counting every call made on it (prepare, batch, …): round trips, not time. */
export function countingDb() {
  const counter = { calls: 0, db: env.DB };
  counter.db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counter.calls += 1;
        return value.apply(target, args);
      };
    },
  });
  return counter;
}
