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

  /** Decides and records one request; a refused request is not counted. */
  async hit(limit: number, windowMs: number, now: number = Date.now()): Promise<HitResult> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE expires_ts <= ?", now);
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

    sql.exec(
      `INSERT INTO hits (sec, n, expires_ts) VALUES (?, 1, ?)
       ON CONFLICT (sec) DO UPDATE SET n = n + 1, expires_ts = max(expires_ts, excluded.expires_ts)`,
      Math.floor(now / 1000),
      now + windowMs,
    );
    const oldest = sql.exec<{ e: number }>("SELECT min(expires_ts) AS e FROM hits").one().e;
    await this.ensureAlarm(now + windowMs);
    return {
      allowed: true,
      remaining: limit - used - 1,
      resetSeconds: secondsUntil(oldest, now),
      retryAfterSeconds: 0,
    };
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
