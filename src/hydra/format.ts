// Value formatting at the v4 edge: timestamps as ISO 8601 with an explicit offset, money as
// decimal strings ("10.00"), as Convertr renders them (Convertr's v4 API quick start).

export { isoTs } from "../http/iso-time";

/** Parses a decimal string into an integer count of 10^-scale units, rounding half up. */
function toUnits(decimal: string, scale: number): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(decimal.trim());
  if (!m) return 0n;
  const frac = (m[3] ?? "").padEnd(scale + 1, "0");
  let units = BigInt((m[2] || "0") + frac.slice(0, scale));
  if (Number(frac[scale]) >= 5) units += 1n;
  return m[1] ? -units : units;
}

function fromUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  const s = (neg ? -units : units).toString().padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** Exact decimal product rounded half up to `scale` places: money × rate, money × count. */
export function mulDecimal(a: string, b: string | number, scale = 2): string {
  const A = toUnits(a, 6);
  const B = toUnits(String(b), 6);
  const product = A * B; // scale 12
  const divisor = 10n ** BigInt(12 - scale);
  const half = divisor / 2n;
  const q = product >= 0n ? (product + half) / divisor : -((-product + half) / divisor);
  return fromUnits(q, scale);
}

/** Money in the enterprise's base currency: amount × currencies.rate_to_base. */
export const toBase = (amount: string, rateToBase: string) => mulDecimal(amount, rateToBase, 2);

/** Normalises a decimal string to `scale` places ("10" → "10.00"). */
export const decimal = (value: string, scale = 2) => fromUnits(toUnits(value, scale), scale);
