import { base64ToBytes, bytesToBase64, hmacSha256, randomBytes, timingSafeEqualBytes } from "../auth/crypto";

// Standard Webhooks v1 (the Standard Webhooks specification): HMAC-SHA256 over "{id}.{timestamp}.{body}",
// header `webhook-signature: v1,<base64>` (space-separated list), secret `whsec_<base64>`.
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export function newWebhookSecret(): string {
  return `whsec_${bytesToBase64(randomBytes(32))}`;
}

function secretBytes(secret: string): Uint8Array {
  return base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const mac = await hmacSha256(secretBytes(secret), `${id}.${timestampSeconds}.${body}`);
  return `v1,${bytesToBase64(mac)}`;
}

/**
 * Headers for one delivery attempt (the timestamp is of this attempt, the id stays the same).
 * Several secrets give the space-separated list of signatures, one per secret.
 */
export async function webhookHeaders(secret: string | readonly string[], id: string, body: string, now = Date.now()) {
  const timestamp = Math.floor(now / 1000);
  const secrets = typeof secret === "string" ? [secret] : secret;
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": (await Promise.all(secrets.map((s) => signWebhook(s, id, timestamp, body)))).join(" "),
    "Content-Type": "application/json",
  };
}

export type VerifyResult = { ok: true } | { ok: false; reason: "missing_headers" | "stale_timestamp" | "bad_signature" };

const encoder = new TextEncoder();

/**
 * Checks a request's headers and signature, against any number of secrets (a batched callback lists
 * a signature per subscription and is checked with each event's secret): the headers are read and
 * the listed signatures encoded once, so each secret costs one HMAC and a constant-time compare
 * with each listed signature. Replay detection (seen ids) is the caller's, with its storage.
 */
export function webhookVerifier(headers: Headers, body: string, now = Date.now()): (secret: string) => Promise<VerifyResult> {
  const id = headers.get("webhook-id");
  const ts = headers.get("webhook-timestamp");
  const sigs = headers.get("webhook-signature");
  if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return async () => ({ ok: false, reason: "missing_headers" });
  if (Math.abs(Math.floor(now / 1000) - Number(ts)) > TIMESTAMP_TOLERANCE_SECONDS) {
    return async () => ({ ok: false, reason: "stale_timestamp" });
  }
  const listed = sigs.split(" ").map((candidate) => encoder.encode(candidate));
  return async (secret) => {
    const expected = encoder.encode(await signWebhook(secret, id, Number(ts), body));
    let match = false;
    for (const candidate of listed) match = timingSafeEqualBytes(candidate, expected) || match;
    return match ? { ok: true } : { ok: false, reason: "bad_signature" };
  };
}
