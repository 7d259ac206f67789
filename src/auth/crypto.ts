// Small WebCrypto helpers shared by authentication, API keys and webhook signing.
const encoder = new TextEncoder();

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** 32 hex characters from a CSPRNG: lead hashes, API keys. */
export function randomHex(bytes = 16): string {
  return bytesToHex(randomBytes(bytes));
}

/** URL-safe opaque token (refresh tokens, MFA tokens). */
export function randomToken(bytes = 32): string {
  return bytesToBase64(randomBytes(bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A decimal code of `digits` digits, uniformly distributed. */
export function randomDigits(digits: number): string {
  const max = 10 ** digits;
  const limit = Math.floor(0x1_0000_0000 / max) * max;
  let n: number;
  do n = crypto.getRandomValues(new Uint32Array(1))[0]!;
  while (n >= limit);
  return String(n % max).padStart(digits, "0");
}

export async function sha256Hex(value: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value))));
}

export async function hmacSha256(key: Uint8Array | string, message: string): Promise<Uint8Array> {
  const raw = typeof key === "string" ? encoder.encode(key) : key;
  const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(message)));
}

/** Constant-time string comparison (API keys, signatures, codes). */
export function timingSafeEqual(a: string, b: string): boolean {
  return timingSafeEqualBytes(encoder.encode(a), encoder.encode(b));
}

/** Constant-time byte comparison, for callers that encode a value once and compare it many times. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Compare against itself when lengths differ so the time does not reveal where they differ.
  const other = a.length === b.length ? b : a;
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ other[i]!;
  return diff === 0;
}
