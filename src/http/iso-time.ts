// Every API surface renders timestamps (Unix ms in D1) as ISO 8601 with an explicit offset,
// "2026-02-01T09:00:00+00:00", as Convertr does (seeds 001, 004).

/** Unix milliseconds → "2026-02-01T09:00:00+00:00" (null stays null). */
export function isoTs(ms: number): string;
export function isoTs(ms: number | null | undefined): string | null;
export function isoTs(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}
