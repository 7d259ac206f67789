import { describe, expect, it } from "vitest";
import { isoTs } from "../../src/http/iso-time";

// isoTs computes the date from the day number instead of through Date: it must give exactly what
// toISOString gives (without the milliseconds, with +00:00), everywhere.
const byDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");

describe("isoTs", () => {
  it("writes what toISOString writes at the calendar's edges", () => {
    const edges = [
      0, 999, 1000, 86_399_999, 86_400_000,
      Date.UTC(1972, 1, 29, 23, 59, 59, 999), Date.UTC(1972, 2, 1),
      Date.UTC(2000, 1, 29, 12), Date.UTC(2000, 2, 1), Date.UTC(2100, 1, 28, 23, 59, 59), Date.UTC(2100, 2, 1),
      Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2025, 0, 1), Date.UTC(2026, 1, 1, 9),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    for (const ms of edges) expect(isoTs(ms)).toBe(byDate(ms));
    expect(isoTs(Date.UTC(2026, 1, 1, 9))).toBe("2026-02-01T09:00:00+00:00");
  });

  it("writes what toISOString writes for 100,000 instants from 1970 to 9999", () => {
    // A fixed sequence (a linear congruential generator), so that a failure can be replayed.
    let x = 12_345;
    const next = () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 100_000; i++) {
      const ms = Math.floor(next() * Date.UTC(10000, 0, 1));
      if (isoTs(ms) !== byDate(ms)) expect(isoTs(ms)).toBe(byDate(ms));
    }
  });

  it("writes each instant's own date when consecutive calls stay on a day, leave it and come back", () => {
    // isoTs keeps the last day's text: a walk in 7-minute steps over leap days and a year's end,
    // and calls alternating between two days, must each give that instant's date.
    const from = Date.UTC(2023, 11, 30);
    for (let ms = from; ms < Date.UTC(2024, 2, 2); ms += 7 * 60_000 + 1_001) expect(isoTs(ms)).toBe(byDate(ms));
    for (let i = 0; i < 50; i++) {
      const ms = i % 2 === 0 ? Date.UTC(2026, 1, 1, 9, i) : Date.UTC(1999, 11, 31, 23, 59, i);
      expect(isoTs(ms)).toBe(byDate(ms));
    }
  });

  it("leaves instants it does not compute to Date: before 1970, past 9999, fractions, and refuses what Date refuses", () => {
    for (const ms of [-1, -86_400_001, Date.UTC(1969, 11, 31, 23, 59, 59), Date.UTC(10000, 0, 1), 1.5, 8.64e15]) expect(isoTs(ms)).toBe(byDate(ms));
    expect(() => isoTs(Number.NaN)).toThrow(RangeError);
    expect(() => isoTs(8.64e15 + 1)).toThrow(RangeError);
    expect(isoTs(null)).toBeNull();
    expect(isoTs(undefined)).toBeNull();
  });
});
