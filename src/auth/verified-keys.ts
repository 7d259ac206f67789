// API keys (campaign-publisher X-Api-Key, campaign webhook keys) that a route of this isolate
// found in D1 a moment ago. The rate limiter, which runs before any route and reads no database,
// counts a request under its key only when the key is here, and otherwise under the client IP:
// a made-up key never gets a budget or a Durable Object of its own, and verifying keys costs the
// capture path no extra D1 round trip, because capture already loads the key it checks.
//
// Bounds: an entry lives VERIFIED_KEY_TTL_MS after its last verification, so a key that was
// rotated away can still name its own budget (never open a route) for at most that long; at most
// VERIFIED_KEY_MAX entries are kept, the least recently verified leaving first. The map is
// per-isolate memory, never persisted or serialised.
export const VERIFIED_KEY_TTL_MS = 60_000;
export const VERIFIED_KEY_MAX = 10_000;

const verified = new Map<string, number>();

/** Records that `key` was just checked against the database and is live. */
export function rememberVerifiedKey(key: string, now = Date.now()): void {
  verified.delete(key);
  if (verified.size >= VERIFIED_KEY_MAX) verified.delete(verified.keys().next().value!);
  verified.set(key, now + VERIFIED_KEY_TTL_MS);
}

/** Whether `key` was verified by a route of this isolate within the last VERIFIED_KEY_TTL_MS. */
export function isVerifiedKey(key: string, now = Date.now()): boolean {
  const expires = verified.get(key);
  if (expires === undefined) return false;
  if (expires > now) return true;
  verified.delete(key);
  return false;
}
