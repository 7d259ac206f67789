import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export interface HitResult {
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Seconds until the oldest counted request leaves the window (one more slot frees). */
  resetSeconds: number;
  /** Seconds until a refused caller may try again; 0 when allowed. */
  retryAfterSeconds: number;
}

/** A request for slots beyond the current request's own, to be used by the caller's isolate. */
export interface LeaseRequest {
  /** Slots wanted, this request's included (the object may grant fewer, never more). */
  want: number;
  /** The caller uses the extra slots only before now + ttlMs. */
  ttlMs: number;
  /** Unused slots of expired earlier leases, given back: `sec` as each grant reported it. */
  returned?: { sec: number; n: number }[];
  /**
   * A lease alone, no request of the caller's: an isolate refilling its lease before it runs out
   * (src/ratelimit/leases.ts). Nothing is counted now; every granted slot is the lease's.
   */
  refill?: boolean;
}

export interface LeaseGrant {
  /** Slots counted for the caller, this request's included (none for a refill); 1 means no extra slot. */
  granted: number;
  /** The bucket the extra slots were counted in, to name when giving unused ones back. */
  sec: number;
}

/**
 * A lease shrinks near the limit: at most 1/LEASE_SHARE of what is left, so with little left
 * every request asks the object again (exact, as without leases).
 */
export const LEASE_SHARE = 16;

const secondsUntil = (ts: number, now: number) => Math.max(0, Math.ceil((ts - now) / 1000));

/**
 * A sliding-window limiter, one object per key (`env.RATE_LIMITER.idFromName(key)`).
 *
 * Requests are counted in one-second buckets; a bucket stays in the window until `windowMs` after
 * the LAST request counted in it, so a request is never forgotten early (at most it is kept up to
 * one second late). Each `hit` runs its reads and writes synchronously on the object's SQLite
 * storage, so concurrent requests to one key are decided one at a time: the count is exact.
 * The table never holds more than one row per second of the window; expired rows are pruned on
 * every hit and by an alarm, which deletes the whole object once it is idle.
 *
 * Leases (src/ratelimit/leases.ts): a hit may also take extra slots that the caller's isolate
 * hands to its next requests without asking again. They are counted now, as if used at the
 * latest moment the caller may use them (now + ttlMs): in the bucket of that second, kept until a
 * window after it. So every request served from a lease is inside the count for a full window
 * after it was made, and the limit is never exceeded across isolates; slots never used are
 * counted conservatively until the caller gives them back (`returned`) or they leave the window.
 */
export class RateLimiter extends DurableObject<Env> {
  // Whether an alarm is known to be pending, to avoid a storage round trip per hit.
  private alarmPending = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.createTable();
  }

  private createTable() {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS hits (sec INTEGER PRIMARY KEY, n INTEGER NOT NULL, expires_ts INTEGER NOT NULL)",
    );
  }

  /**
   * Decides and records one request, plus the extra slots of a lease when one is asked for; a
   * refused request is not counted and gets no lease.
   */
  async hit(limit: number, windowMs: number, now: number = Date.now(), lease?: LeaseRequest): Promise<HitResult & { lease?: LeaseGrant }> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE expires_ts <= ?", now);
    for (const r of lease?.returned ?? []) sql.exec("UPDATE hits SET n = max(0, n - ?) WHERE sec = ?", r.n, r.sec);
    const live = sql.exec<{ n: number; expires_ts: number }>("SELECT n, expires_ts FROM hits ORDER BY expires_ts").toArray();
    const used = live.reduce((sum, row) => sum + row.n, 0);

    if (used >= limit) {
      // A slot frees once enough of the oldest requests have left the window.
      let excess = used - limit + 1;
      let freeAt = now;
      for (const row of live) {
        excess -= row.n;
        freeAt = row.expires_ts;
        if (excess <= 0) break;
      }
      const wait = Math.max(1, secondsUntil(freeAt, now));
      return { allowed: false, remaining: 0, resetSeconds: wait, retryAfterSeconds: wait };
    }

    const count = (n: number, at: number) =>
      sql.exec(
        `INSERT INTO hits (sec, n, expires_ts) VALUES (?, ?, ?)
         ON CONFLICT (sec) DO UPDATE SET n = n + excluded.n, expires_ts = max(expires_ts, excluded.expires_ts)`,
        Math.floor(at / 1000),
        n,
        at + windowMs,
      );
    // A refill counts no request of its own: its slots are all the lease's.
    const own = lease?.refill ? 0 : 1;
    if (own) count(1, now);
    const extra = lease ? Math.max(0, Math.min(lease.want - own, Math.floor((limit - used - own) / LEASE_SHARE))) : 0;
    const leaseEnd = now + (lease?.ttlMs ?? 0);
    if (extra > 0) count(extra, leaseEnd);
    const oldest = sql.exec<{ e: number }>("SELECT min(expires_ts) AS e FROM hits").one().e;
    await this.ensureAlarm(now + windowMs);
    const result = {
      allowed: true,
      remaining: limit - used - own - extra,
      resetSeconds: secondsUntil(oldest, now),
      retryAfterSeconds: 0,
    };
    return lease ? { ...result, lease: { granted: own + extra, sec: Math.floor(leaseEnd / 1000) } } : result;
  }

  private async ensureAlarm(at: number) {
    if (this.alarmPending) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(at);
    this.alarmPending = true;
  }

  /** Prunes expired buckets; an idle object deletes its storage entirely. */
  override async alarm() {
    this.alarmPending = false;
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE expires_ts <= ?", Date.now());
    const last = sql.exec<{ e: number | null }>("SELECT max(expires_ts) AS e FROM hits").one().e;
    if (last === null) {
      await this.ctx.storage.deleteAll();
      this.createTable();
      return;
    }
    await this.ctx.storage.setAlarm(last);
    this.alarmPending = true;
  }

  /** Rows currently stored (tests and diagnostics). */
  async size(): Promise<number> {
    return this.ctx.storage.sql.exec<{ c: number }>("SELECT count(*) AS c FROM hits").one().c;
  }
}
