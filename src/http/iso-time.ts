// Every API surface renders timestamps (Unix ms in D1) as ISO 8601 with an explicit offset,
// "2026-02-01T09:00:00+00:00", as Convertr does (seeds 001, 004).

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z: past it toISOString writes a six-digit year with a sign. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

/** "00" … "99": the time's parts are looked up, not formatted. */
const TWO = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));

/**
 * "YYYY-MM-DDT" of a day number (days since 1970-01-01), as toISOString writes it for years
 * 1970-9999, by the proleptic Gregorian calendar's arithmetic (days since 0000-03-01, in 400-year
 * eras): a v4 page formats three dates per lead, and toISOString with its Date cost about five
 * times as much.
 */
function utcDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, "0")}-${TWO[month]}-${TWO[day]}T`;
}

// The last day's text: a page's timestamps mostly fall on a few days, so its date is made once
// and each timestamp adds only its time (fewer pieces for JSON.stringify to flatten, too).
let lastDay = Number.NaN;
let lastDate = "";

/** Unix milliseconds → "2026-02-01T09:00:00+00:00" (null stays null). */
export function isoTs(ms: number): string;
export function isoTs(ms: number | null | undefined): string | null;
export function isoTs(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  // Anything but whole milliseconds from 1970 to 9999 (none stored) as Date writes it, errors included.
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
  const days = Math.floor(ms / DAY_MS);
  if (days !== lastDay) {
    lastDate = utcDate(days);
    lastDay = days;
  }
  const secs = Math.floor((ms - days * DAY_MS) / 1000);
  return `${lastDate}${TWO[Math.floor(secs / 3600)]}:${TWO[Math.floor(secs / 60) % 60]}:${TWO[secs % 60]}+00:00`;
}
