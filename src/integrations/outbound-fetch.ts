import { readLimited } from "../http/read-limited";

// Every outbound integration request: bounded in time and size, never following redirects (a
// redirect could lead past the URL policy), and classified the Standard Webhooks way.

export const OUTBOUND_TIMEOUT_MS = 15_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: string;
  /** The body went past MAX_RESPONSE_BYTES and was cut there. */
  truncated: boolean;
  durationMs: number;
}

export type OutboundResult =
  | ({ ok: true } & OutboundResponse)
  | { ok: false; error: "timeout" | "network"; message: string; durationMs: number };

export async function fetchOutbound(
  url: URL,
  init: RequestInit,
  opts: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<OutboundResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
  try {
    const res = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const { bytes, truncated } = await readLimited(res.body, opts.maxBytes ?? MAX_RESPONSE_BYTES);
    const body = new TextDecoder().decode(bytes);
    return { ok: true, status: res.status, headers: res.headers, body, truncated, durationMs: Date.now() - started };
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    const timeout = name === "TimeoutError" || name === "AbortError";
    return {
      ok: false,
      error: timeout ? "timeout" : "network",
      message: timeout ? `No response within ${timeoutMs} ms` : `Network error: ${e instanceof Error ? e.message : String(e)}`,
      durationMs: Date.now() - started,
    };
  }
}

/**
 * Whether a configured value may go into a request header: control characters other than tab
 * (CR and LF above all, which would start another header) are refused when the config is saved.
 */
export function isSafeHeaderValue(value: string): boolean {
  return !/[\x00-\x08\x0a-\x1f\x7f]/.test(value);
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date), or null. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const v = headers.get("Retry-After")?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Transient statuses worth retrying: timeouts, throttling and server errors. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
