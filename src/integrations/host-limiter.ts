import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { OUTBOUND_TIMEOUT_MS } from "./outbound-fetch";

// Per-destination concurrency: one small Durable Object per outbound host is a counting semaphore.
// A caller holds a lease while it talks to the host; leases expire on their own, so a crashed
// caller cannot hold a slot for ever. A caller that gets no slot is retried later through the queue.

/** Longer than one delivery (two requests of at most OUTBOUND_TIMEOUT_MS each) plus slack. */
export const LEASE_MS = 2 * OUTBOUND_TIMEOUT_MS + 15_000;

export type AcquireResult = { ok: true; token: string } | { ok: false; retryAfterMs: number };

export class OutboundHostLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS leases (token TEXT PRIMARY KEY, expires_ts INTEGER NOT NULL)");
  }

  /** Takes one of `limit` slots for `leaseMs`, or says when the earliest lease runs out. */
  acquire(limit: number, leaseMs = LEASE_MS): AcquireResult {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM leases WHERE expires_ts <= ?", now);
    const held = sql.exec<{ n: number; soonest: number | null }>("SELECT count(*) AS n, min(expires_ts) AS soonest FROM leases").one();
    if (held.n >= limit) return { ok: false, retryAfterMs: Math.max(1000, (held.soonest ?? now) - now) };
    const token = crypto.randomUUID();
    sql.exec("INSERT INTO leases (token, expires_ts) VALUES (?, ?)", token, now + leaseMs);
    return { ok: true, token };
  }

  release(token: string): void {
    this.ctx.storage.sql.exec("DELETE FROM leases WHERE token = ?", token);
  }

  /** Slots in use now (for tests and diagnostics). */
  inUse(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM leases WHERE expires_ts > ?", Date.now()).one().n;
  }
}

export function hostLimiter(env: Pick<Env, "OUTBOUND_LIMITER">, host: string) {
  return env.OUTBOUND_LIMITER.get(env.OUTBOUND_LIMITER.idFromName(host.toLowerCase()));
}

export function hostConcurrency(env: Pick<Env, "OUTBOUND_HOST_CONCURRENCY">): number {
  const n = Number(env.OUTBOUND_HOST_CONCURRENCY);
  return Number.isInteger(n) && n > 0 ? n : 10;
}

/**
 * Runs `fn` holding a slot for `host`; without a free slot, returns how long to wait instead.
 * The slot is released however `fn` ends.
 */
export async function withHostSlot<T>(
  env: Pick<Env, "OUTBOUND_LIMITER" | "OUTBOUND_HOST_CONCURRENCY">,
  host: string,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; retryAfterMs: number }> {
  const limiter = hostLimiter(env, host);
  const slot = (await limiter.acquire(hostConcurrency(env))) as AcquireResult;
  if (!slot.ok) return slot;
  try {
    return { ok: true, value: await fn() };
  } finally {
    await limiter.release(slot.token);
  }
}
