import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { OUTBOUND_TIMEOUT_MS } from "./outbound-fetch";
import { callGroup } from "./round-trip-group";

// Per-destination limits: one small Durable Object per outbound host is both a counting semaphore
// (requests in flight) and a sliding-window rate limiter (requests started in the last minute).
// A caller holds a lease while it talks to the host; leases expire on their own, so a crashed
// caller cannot hold a slot for ever. A caller refused for either reason is retried later through
// the queue, and the refusal is not a delivery attempt. A caller refused for concurrency asks again
// after BUSY_RETRY_MS: a slot comes back when its holder releases it, normally within one request,
// while the lease's end is only the bound for a holder that crashed (waiting for it held a refused
// sync callback or delivery back ~45 s behind a request that took a fraction of a second).

/** Longer than one delivery (two requests of at most OUTBOUND_TIMEOUT_MS each) plus slack. */
export const LEASE_MS = 2 * OUTBOUND_TIMEOUT_MS + 15_000;
/** The rate window: OUTBOUND_HOST_RATE_PER_MINUTE counts requests started within it. */
export const RATE_WINDOW_MS = 60_000;
/** How soon a caller refused for concurrency asks again (the lease's end, if that comes sooner). */
export const BUSY_RETRY_MS = 2_000;
// Convertr asks its API's callers to keep fewer than 10 requests in flight; a client's host gets the same.
const DEFAULT_CONCURRENCY = 9;
const DEFAULT_RATE_PER_MINUTE = 600;

export type AcquireResult =
  | { ok: true; token: string }
  | { ok: false; reason: "concurrency" | "rate"; retryAfterMs: number };

/** One caller's acquire or more, for calls(). */
export type LimiterCall =
  | { acquire: { limit: number; opts: AcquireOptions } }
  | { more: { token: string; opts: Omit<AcquireOptions, "cost"> & { cost: number } } };

export interface AcquireOptions {
  /** Requests per RATE_WINDOW_MS; unlimited when absent. */
  ratePerMinute?: number;
  /** Requests this lease will make (a Convertr Connect delivery with sync tags to a client that takes them separately makes two). */
  cost?: number;
  leaseMs?: number;
}

export class OutboundHostLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    // `request`: the call (request id and place in it) that took or last extended the lease, so that
    // the call asked again after its answer was lost finds what it applied, even after a restart.
    sql.exec("CREATE TABLE IF NOT EXISTS leases (token TEXT PRIMARY KEY, expires_ts INTEGER NOT NULL, request TEXT)");
    // A limiter created before leases named their request.
    if (sql.exec("SELECT 1 FROM pragma_table_info('leases') WHERE name = 'request'").toArray().length === 0) {
      sql.exec("ALTER TABLE leases ADD COLUMN request TEXT");
    }
    sql.exec("CREATE TABLE IF NOT EXISTS starts (ts INTEGER NOT NULL, cost INTEGER NOT NULL)");
  }

  /**
   * Takes one of `limit` slots for `leaseMs` and `cost` requests of the rate window, or says when
   * to ask again: after BUSY_RETRY_MS (or the earliest lease's end, if sooner), or when enough of the window has passed.
   * `request`: the call that takes it, kept with the lease (calls()).
   */
  acquire(limit: number, opts: AcquireOptions = {}, request: string | null = null): AcquireResult {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM leases WHERE expires_ts <= ?", now);
    sql.exec("DELETE FROM starts WHERE ts <= ?", now - RATE_WINDOW_MS);
    const held = sql.exec<{ n: number; soonest: number | null }>("SELECT count(*) AS n, min(expires_ts) AS soonest FROM leases").one();
    if (held.n >= limit) {
      return { ok: false, reason: "concurrency", retryAfterMs: Math.min(BUSY_RETRY_MS, Math.max(1000, (held.soonest ?? now) - now)) };
    }
    const room = this.room(now, opts);
    if (!room.ok) return room;
    this.start(now, room.cost);
    const token = crypto.randomUUID();
    sql.exec("INSERT INTO leases (token, expires_ts, request) VALUES (?, ?, ?)", token, now + (opts.leaseMs ?? LEASE_MS), request);
    return { ok: true, token };
  }

  /**
   * Counts `opts.cost` more requests of a lease still held against the rate, and holds it `leaseMs`
   * from now: a delivery that turned out to need another request, or the holder's next delivery to
   * the same host (a queue batch's worker keeps its slot). Without room, says when to ask again and
   * leaves the lease as it was (its holder lets it go), so a lease names only a request that it
   * granted; a lease no longer held (it expired) is "expired", and its holder acquires anew.
   */
  more(
    token: string,
    opts: Omit<AcquireOptions, "cost"> & { cost: number },
    request: string | null = null,
  ): { ok: true } | Extract<AcquireResult, { ok: false }> | { ok: false; reason: "expired" } {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM starts WHERE ts <= ?", now - RATE_WINDOW_MS);
    const room = this.room(now, opts);
    if (!room.ok) return room;
    const held = sql.exec(
      "UPDATE leases SET expires_ts = ?, request = ? WHERE token = ? AND expires_ts > ? RETURNING token",
      now + (opts.leaseMs ?? LEASE_MS), request, token, now,
    );
    if (held.toArray().length === 0) return { ok: false, reason: "expired" };
    this.start(now, room.cost);
    return { ok: true };
  }

  /** Whether the rate has room for `opts.cost` requests starting now (the starts older than the window removed), and what they count. */
  private room(now: number, opts: Pick<AcquireOptions, "ratePerMinute" | "cost">): { ok: true; cost: number } | Extract<AcquireResult, { ok: false }> {
    const sql = this.ctx.storage.sql;
    const rate = opts.ratePerMinute;
    // A lease dearer than the whole rate could never be granted: it takes the whole window instead.
    const cost = rate === undefined ? 0 : Math.min(Math.max(1, opts.cost ?? 1), rate);
    if (rate !== undefined) {
      let excess = sql.exec<{ n: number }>("SELECT coalesce(sum(cost), 0) AS n FROM starts").one().n + cost - rate;
      if (excess > 0) {
        // Free slots come back as the oldest starts leave the window.
        for (const s of sql.exec<{ ts: number; cost: number }>("SELECT ts, cost FROM starts ORDER BY ts")) {
          excess -= s.cost;
          if (excess <= 0) return { ok: false, reason: "rate", retryAfterMs: Math.max(1000, s.ts + RATE_WINDOW_MS - now) };
        }
      }
    }
    return { ok: true, cost };
  }

  /** Records `cost` requests starting now (room() said there is room for them). */
  private start(now: number, cost: number): void {
    if (cost > 0) this.ctx.storage.sql.exec("INSERT INTO starts (ts, cost) VALUES (?, ?)", now, cost);
  }

  /**
   * Several callers' acquire and more (concurrent workers of one queue batch), or one caller's,
   * answered in the order given exactly as the same calls arriving one after another would be. All
   * or nothing: a failure part way fails every caller (sharedLimiterCalls), so the leases and starts
   * of the calls before it are rolled back with it instead of being held and counted for nobody.
   * Each call's lease keeps `requestId` and the call's place in the list; `again` (the caller lost
   * the answer and asks once more): a call whose lease is there is answered from it instead of
   * applied twice, and the others, which applied nothing, are answered anew.
   */
  calls(list: LimiterCall[], requestId?: string, again = false): (AcquireResult | ReturnType<OutboundHostLimiter["more"]>)[] {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() =>
      list.map((c, i) => {
        const request = requestId === undefined ? null : `${requestId}:${i}`;
        const applied = again && request !== null
          ? sql.exec<{ token: string }>("SELECT token FROM leases WHERE request = ? AND expires_ts > ?", request, Date.now()).toArray()[0]
          : undefined;
        if (applied) return "acquire" in c ? { ok: true, token: applied.token } : { ok: true };
        return "acquire" in c ? this.acquire(c.acquire.limit, c.acquire.opts, request) : this.more(c.more.token, c.more.opts, request);
      }),
    );
  }

  release(token: string): void {
    this.ctx.storage.sql.exec("DELETE FROM leases WHERE token = ?", token);
  }

  /** Slots in use now (for tests and diagnostics). */
  inUse(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM leases WHERE expires_ts > ?", Date.now()).one().n;
  }

  /** Requests started within the rate window (for tests and diagnostics). */
  started(): number {
    return this.ctx.storage.sql
      .exec<{ n: number }>("SELECT coalesce(sum(cost), 0) AS n FROM starts WHERE ts > ?", Date.now() - RATE_WINDOW_MS)
      .one().n;
  }
}

export function hostLimiter(env: Pick<Env, "OUTBOUND_LIMITER">, host: string) {
  return env.OUTBOUND_LIMITER.get(env.OUTBOUND_LIMITER.idFromName(host.toLowerCase()));
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export function hostConcurrency(env: Pick<Env, "OUTBOUND_HOST_CONCURRENCY">): number {
  return positiveInt(env.OUTBOUND_HOST_CONCURRENCY, DEFAULT_CONCURRENCY);
}

export function hostRatePerMinute(env: Pick<Env, "OUTBOUND_HOST_RATE_PER_MINUTE">): number {
  return positiveInt(env.OUTBOUND_HOST_RATE_PER_MINUTE, DEFAULT_RATE_PER_MINUTE);
}

export type HostSlotEnv = Pick<Env, "OUTBOUND_LIMITER" | "OUTBOUND_HOST_CONCURRENCY" | "OUTBOUND_HOST_RATE_PER_MINUTE">;

/** Counts `requests` more of the slot held against the host's rate, or says when there is room for them. */
export type MoreRequests = (requests: number) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;

export type SlotResult<T> = { ok: true; value: T } | { ok: false; reason: "concurrency" | "rate"; retryAfterMs: number };
type MoreResult = Awaited<ReturnType<OutboundHostLimiter["more"]>>;

/** A limiter call to a host, made alone or with other callers' (sharedLimiterCalls). */
export type LimiterCalls = (host: string, call: LimiterCall) => Promise<AcquireResult | MoreResult>;

/**
 * Sends `calls` to a host's limiter as one request with an id of its own. A request that fails is
 * asked once more with that id: if the limiter applied it and only its answer was lost, that gives
 * the slots it granted to their callers (calls()) instead of leaving them held, and their requests
 * counted, for nobody until their leases end. If that fails too, the failure stands.
 */
function askLimiter(limiter: ReturnType<typeof hostLimiter>, calls: LimiterCall[]): Promise<(AcquireResult | MoreResult)[]> {
  const requestId = crypto.randomUUID();
  const ask = (again: boolean) => limiter.calls(calls, requestId, again) as Promise<(AcquireResult | MoreResult)[]>;
  return ask(false).catch(() => ask(true));
}

/**
 * The acquire and more calls that a queue batch's workers make to one host at the same time, sent
 * as one call to its limiter (calls, callGroup): the limiter answers them one after another as it
 * would separate calls, so its concurrency and rate stay exact (askLimiter). If that call fails,
 * each of them gets the failure, as each would have from a call of its own.
 */
export function sharedLimiterCalls(env: Pick<Env, "OUTBOUND_LIMITER">): LimiterCalls {
  const hosts = new Map<string, (call: LimiterCall) => Promise<AcquireResult | MoreResult>>();
  return (host, call) => {
    const key = host.toLowerCase();
    let send = hosts.get(key);
    if (!send) {
      const limiter = hostLimiter(env, key);
      send = callGroup((calls: LimiterCall[]) => askLimiter(limiter, calls));
      hosts.set(key, send);
    }
    return send(call);
  };
}

/**
 * The slot of a caller that calls hosts one request or delivery after another (a queue batch's
 * worker): run(host, fn, requests) runs `fn` holding a slot for `host` that counts `requests`
 * against the host's rate, or returns why and how long to wait instead. The slot is kept for the
 * caller's next run to the same host (one limiter call then instead of an acquire and a release:
 * it counts that run's requests and holds the slot on), and released when the caller moves on to
 * another host, is refused, fails, or calls release(). `fn` is given `more`, for requests it finds
 * it needs beyond `requests`. `shared`: the acquire and more calls go with other callers' (the
 * queue batch's other workers: sharedLimiterCalls); release is always a call of its own.
 */
export function hostSlots(env: HostSlotEnv) {
  let held: { host: string; token: string } | null = null;
  const release = async () => {
    const h = held;
    held = null;
    if (!h) return;
    // Asked once more if it fails (a release applies once however often it is asked). Failing
    // again, the lease runs out on its own (LEASE_MS): the call made under the slot has its outcome,
    // and failing it would have it made again (a callback sent twice).
    const limiter = hostLimiter(env, h.host);
    await limiter
      .release(h.token)
      .catch(() => limiter.release(h.token))
      .catch((err: unknown) => console.error("host limiter: slot not released", h.host, err instanceof Error ? err.message : String(err)));
  };
  const run = async <T>(host: string, fn: (more: MoreRequests) => Promise<T>, requests = 1, shared?: LimiterCalls): Promise<SlotResult<T>> => {
    // The host's limiter stub only for calls of this run's own (shared calls go through the batch's).
    const limiter = shared ? null : hostLimiter(env, host);
    // Alone or shared, a call goes with a request id (askLimiter), so a lost answer is asked for again.
    const call = async (c: LimiterCall) => (limiter === null ? shared!(host, c) : (await askLimiter(limiter, [c]))[0]!);
    const ratePerMinute = hostRatePerMinute(env);
    if (held && held.host !== host) await release();
    if (held) {
      const kept = (await call({ more: { token: held.token, opts: { ratePerMinute, cost: requests } } })) as MoreResult;
      if (!kept.ok) {
        if (kept.reason === "expired") held = null;
        else {
          await release();
          return kept;
        }
      }
    }
    if (!held) {
      const slot = (await call({ acquire: { limit: hostConcurrency(env), opts: { ratePerMinute, cost: requests } } })) as AcquireResult;
      if (!slot.ok) return slot;
      held = { host, token: slot.token };
    }
    const token = held.token;
    const more: MoreRequests = async (cost) => {
      const r = (await call({ more: { token, opts: { ratePerMinute, cost } } })) as MoreResult;
      return r.ok ? r : { ok: false, retryAfterMs: "retryAfterMs" in r ? r.retryAfterMs : 0 };
    };
    try {
      return { ok: true, value: await fn(more) };
    } catch (e) {
      await release();
      throw e;
    }
  };
  return { run, release };
}

/**
 * Runs `fn` holding a slot for `host` that counts `requests` against the host's rate; without a
 * free slot, returns why and how long to wait instead. `fn` is given `more`, for requests it finds
 * it needs beyond those. The slot is released however `fn` ends.
 */
export async function withHostSlot<T>(env: HostSlotEnv, host: string, fn: (more: MoreRequests) => Promise<T>, requests = 1): Promise<SlotResult<T>> {
  const slots = hostSlots(env);
  try {
    return await slots.run(host, fn, requests);
  } finally {
    await slots.release();
  }
}

/** The refusal as a sentence (test action, logs). */
export function hostBusyMessage(host: string, reason: "concurrency" | "rate"): string {
  return reason === "rate"
    ? `${host} has reached its rate of outbound requests per minute`
    : `${host} already has the maximum number of concurrent requests`;
}
