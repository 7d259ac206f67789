import { sha256Hex } from "./crypto";

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
// The limiter names a key's budget by the key's SHA-256, never by the key; the digest is kept with
// the entry so that the requests of a verified key do not each hash it again.
export const VERIFIED_KEY_TTL_MS = 60_000;
export const VERIFIED_KEY_MAX = 10_000;

const verified = new Map<string, { expires: number; digest: string | null }>();

/** Records that `key` was just checked against the database and is live. */
export function rememberVerifiedKey(key: string, now = Date.now()): void {
  const digest = verified.get(key)?.digest ?? null;
  verified.delete(key);
  if (verified.size >= VERIFIED_KEY_MAX) verified.delete(verified.keys().next().value!);
  verified.set(key, { expires: now + VERIFIED_KEY_TTL_MS, digest });
}

/**
 * The SHA-256 (hex) of `key` when a route of this isolate verified it within the last
 * VERIFIED_KEY_TTL_MS, else null.
 */
export async function verifiedKeyDigest(key: string, now = Date.now()): Promise<string | null> {
  const entry = verified.get(key);
  if (entry === undefined) return null;
  if (entry.expires <= now) {
    verified.delete(key);
    return null;
  }
  entry.digest ??= await sha256Hex(key);
  return entry.digest;
}
