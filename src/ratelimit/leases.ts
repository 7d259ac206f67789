import type { HitResult, LeaseGrant, RateLimiter } from "./rate-limiter";

// Rate limiting without a Durable Object round trip per request (issue 17). Each isolate asks a
// policy's limiter object for a small lease of slots and serves its next requests for that key
// from it, without asking again, until the lease is spent or LEASE_TTL_MS has passed.
//
// Exact across isolates: the object counts a lease's slots when it grants them, as used at the
// lease's end (src/ratelimit/rate-limiter.ts), so the limit is never exceeded however many
// isolates hold leases. Leases stay small where it matters: at most LEASE_MAX slots, sized by
// the key's recent demand, and the object grants at most 1/LEASE_SHARE of what is left, so near
// the limit every request asks the object. Slots a lease did not use are given back with the next
// request for that key, and until then count as used (never over, possibly under, the limit).
//
// A busy key's lease is refilled before it runs out: the request that leaves it at half its size or
// less asks the object for the next lease alone (LeaseRequest.refill: no request counted with it),
// in the background (its waitUntil: the request itself is answered from the lease and never waits
// for the refill). Without that, every lease ran out under parallel load with each connection's
// request asking at once, one full lease and one-slot asks for the rest: 0.11 asks per request at
// 10 connections, 0.35 at 50.
//
// Headers stay exact for one isolate: remaining = what the object had left after the grant plus
// the slots this isolate still holds. With several isolates each sees its own share (the other
// isolates' unused slots count as spent, as they may be). A lease is dropped once the oldest
// request the object reported would leave the window, so RateLimit's t never runs past it.

export const LEASE_TTL_MS = 1_000;
export const LEASE_MAX = 64;
/** Keys whose leases an isolate remembers; the least recently asked leave first (their slots count as used). */
export const LEASE_KEYS_MAX = 10_000;
/** An ask still unanswered after this long counts as gone (its request was cancelled). */
export const ASK_STALE_MS = 1_000;
/** Leases smaller than this are not refilled ahead (near the limit each request asks anyway). */
export const REFILL_MIN = 8;

interface Lease {
  limit: number;
  windowMs: number;
  /** Slots left for this isolate's next requests. */
  slots: number;
  granted: number;
  sec: number;
  /** Slots may be used before this time. */
  expires: number;
  /** What the object had left once the lease was counted. */
  remainingAfter: number;
  /** When the object's oldest counted request leaves the window. */
  resetAt: number;
}

const usable = (l: Lease, limit: number, windowMs: number, now: number) =>
  now < l.expires && now < l.resetAt && l.limit === limit && l.windowMs === windowMs;

export class LeaseClient {
  /** Per key, the leases this isolate holds, oldest first (concurrent asks may get several). */
  private readonly leases = new Map<string, Lease[]>();
  /**
   * Per key, the requests of this isolate asking the object now (when each began). Never a shared
   * promise: a request must not await another request's I/O, because if that request is cancelled
   * (its client went away) the promise never settles and every request waiting on it hangs. For
   * the same reason an ask counts as in flight for ASK_STALE_MS at most: a cancelled ask never
   * removes itself, and counted for ever it made every later ask of the key a one-slot ask.
   */
  private readonly asking = new Map<string, Set<{ since: number }>>();
  /**
   * Per key, the size of the last full lease: what the next full ask doubles. Kept apart from the
   * leases because a concurrent ask's one-slot lease must not become the base of the next ask
   * (under steady parallel load the leases then shrank to one or two slots and nearly every
   * request asked the object).
   */
  private readonly sizes = new Map<string, number>();

  /**
   * Decides one request under `key`: from this isolate's leases, or by asking the object.
   * `background` (the request's waitUntil): where a refill of the lease may run (none without it).
   */
  async take(
    limiters: DurableObjectNamespace<RateLimiter>, key: string, limit: number, windowMs: number, now: number,
    background?: (refill: Promise<unknown>) => void,
  ): Promise<HitResult> {
    const local = this.fromLease(key, limit, windowMs, now);
    if (local) {
      if (background && this.runningLow(key, limit, windowMs, now)) background(this.refill(limiters, key, limit, windowMs, now));
      return local;
    }
    const answer = await this.asked(key, now, (first) => this.ask(limiters, key, limit, windowMs, now, first));
    // Refused, but a concurrent ask of this isolate may have brought back a lease meanwhile: the
    // object had counted those slots for this isolate, so serving this request from them is exact.
    return answer.allowed ? answer : (this.fromLease(key, limit, windowMs, now) ?? answer);
  }

  /** Runs `ask` as one of the key's asks in flight; `first`: no other ask of the key is. */
  private async asked<T>(key: string, now: number, ask: (first: boolean) => Promise<T>): Promise<T> {
    const asks = this.asking.get(key) ?? new Set();
    for (const a of asks) if (now - a.since >= ASK_STALE_MS) asks.delete(a);
    const mine = { since: now };
    asks.add(mine);
    this.asking.delete(key);
    if (this.asking.size >= LEASE_KEYS_MAX) this.asking.delete(this.asking.keys().next().value!);
    this.asking.set(key, asks);
    try {
      return await ask(asks.size === 1);
    } finally {
      asks.delete(mine);
      if (asks.size === 0 && this.asking.get(key) === asks) this.asking.delete(key);
    }
  }

  /**
   * Whether a request just served from a lease of `key` left this isolate's slots at half the last
   * full lease or less, with no ask of the key in flight (a refill already on its way included).
   * Small leases (near the limit the object grants little) are not refilled ahead.
   */
  private runningLow(key: string, limit: number, windowMs: number, now: number): boolean {
    const size = this.sizes.get(key);
    if (size === undefined || size < REFILL_MIN || this.asking.has(key)) return false;
    return this.held(key, limit, windowMs, now) <= size / 2;
  }

  /** Asks the object for the key's next lease alone; never rejects (the next request asks as usual). */
  private refill(
    limiters: DurableObjectNamespace<RateLimiter>, key: string, limit: number, windowMs: number, now: number,
  ): Promise<void> {
    return this.asked(key, now, () => this.ask(limiters, key, limit, windowMs, now, true, true)).then(
      () => undefined,
      (err: unknown) => console.error("rate limiter unavailable, lease not refilled:", err instanceof Error ? err.message : String(err)),
    );
  }

  /** Slots this isolate holds for `key` and may still use (tests and diagnostics). */
  held(key: string, limit: number, windowMs: number, now: number): number {
    return (this.leases.get(key) ?? []).filter((l) => usable(l, limit, windowMs, now)).reduce((n, l) => n + l.slots, 0);
  }

  private fromLease(key: string, limit: number, windowMs: number, now: number): HitResult | null {
    const list = this.leases.get(key) ?? [];
    const l = list.find((x) => x.slots > 0 && usable(x, limit, windowMs, now));
    if (!l) return null;
    l.slots -= 1;
    const held = list.filter((x) => usable(x, limit, windowMs, now)).reduce((n, x) => n + x.slots, 0);
    const last = list[list.length - 1]!;
    return {
      allowed: true,
      remaining: last.remainingAfter + held,
      resetSeconds: Math.ceil((Math.min(...list.map((x) => x.resetAt)) - now) / 1000),
      retryAfterSeconds: 0,
    };
  }

  /**
   * `full`: no other ask of this isolate for `key` is in flight, so this one may take a full lease.
   * `refill`: the lease alone, for the isolate's next requests (no request of its own).
   */
  private async ask(
    limiters: DurableObjectNamespace<RateLimiter>, key: string, limit: number, windowMs: number, now: number, full: boolean,
    refill = false,
  ): Promise<HitResult> {
    const list = this.leases.get(key) ?? [];
    const live = list.filter((l) => usable(l, limit, windowMs, now));
    const done = list.filter((l) => !usable(l, limit, windowMs, now));
    const size = this.sizes.get(key);
    // A key's first request asks for a full lease (the object still grants at most 1/LEASE_SHARE
    // of what is left, and what is not used goes back with the key's next request). A lease spent
    // within its lifetime: ask for twice the last full one. After a quiet spell: for what was
    // used. While another request of this isolate is asking already, only for this request's own
    // slot, so that a burst's concurrent asks do not each take a large lease.
    const demand = !full
      ? 1
      : size === undefined
        ? LEASE_MAX
        : live.length > 0
          ? size * 2
          : Math.max(1, done.reduce((n, l) => n + l.granted - l.slots, 0));
    const want = Math.min(LEASE_MAX, demand);
    // Slots of leases that can no longer be used go back (to the bucket each was counted in).
    const returned = done.filter((l) => l.slots > 0).map((l) => ({ sec: l.sec, n: l.slots }));
    this.leases.set(key, live);
    const r: HitResult & { lease?: LeaseGrant } = await limiters
      .getByName(key)
      .hit(limit, windowMs, now, { want, ttlMs: LEASE_TTL_MS, ...(returned.length > 0 ? { returned } : {}), ...(refill ? { refill } : {}) });
    // A refused request, or a refill the object had no slot for (near the limit): no lease.
    if (!r.allowed || !r.lease || r.lease.granted === 0) return r;
    const extra = refill ? r.lease.granted : r.lease.granted - 1;
    const current = this.leases.get(key) ?? [];
    const lease: Lease = {
      limit, windowMs, slots: extra, granted: r.lease.granted, sec: r.lease.sec, expires: now + LEASE_TTL_MS,
      remainingAfter: r.remaining, resetAt: now + r.resetSeconds * 1000,
    };
    // Spent leases are forgotten once a newer one exists; the newest is last.
    this.leases.delete(key);
    if (this.leases.size >= LEASE_KEYS_MAX) {
      const oldest = this.leases.keys().next().value!;
      this.leases.delete(oldest);
      this.sizes.delete(oldest);
    }
    this.leases.set(key, [...current.filter((l) => l.slots > 0), lease]);
    if (full) this.sizes.set(key, r.lease.granted);
    const held = this.held(key, limit, windowMs, now);
    return { allowed: true, remaining: r.remaining + held, resetSeconds: r.resetSeconds, retryAfterSeconds: 0 };
  }
}

/** This isolate's leases (module memory: never persisted or serialised). */
export const isolateLeases = new LeaseClient();
