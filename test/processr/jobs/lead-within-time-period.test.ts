import { describe, expect, it } from "vitest";
import { lead, NOW, parseConfig, runJob } from "./helpers";

const T = "lead_within_time_period";
const DAY = 86_400_000;

describe("lead_within_time_period", () => {
  it("checks createdTs against start and end by default", async () => {
    const cfg = { start: "2026-02-01", end: "2026-03-01" };
    expect(parseConfig(T, cfg).data).toMatchObject({ field: "createdTs" });
    expect((await runJob(T, cfg, lead({}))).passed).toBe(true); // NOW is 2026-03-01T12:00Z, within the end day
    expect(await runJob(T, { end: "2026-02-28" }, lead({}))).toEqual({
      passed: false,
      message: '"createdTs" 2026-03-01T12:00:00+00:00 is after 2026-02-28',
    });
    expect(await runJob(T, { start: "2026-03-01T12:00:01Z" }, lead({}))).toEqual({
      passed: false,
      message: '"createdTs" 2026-03-01T12:00:00+00:00 is before 2026-03-01T12:00:01Z',
    });
  });

  it("checks a mapped YYYY-MM-DD field as a whole day", async () => {
    const cfg = { field: "downloadDate", start: "2026-02-10T18:00:00+00:00", end: "2026-02-20" };
    expect((await runJob(T, cfg, lead({ downloadDate: "2026-02-10" }))).passed).toBe(true);
    expect((await runJob(T, cfg, lead({ downloadDate: "2026-02-20" }))).passed).toBe(true);
    expect(await runJob(T, cfg, lead({ downloadDate: "2026-02-09" }))).toEqual({
      passed: false,
      message: '"downloadDate" 2026-02-09 is before 2026-02-10T18:00:00+00:00',
    });
    expect(await runJob(T, cfg, lead({ downloadDate: "10/02/2026" }))).toEqual({
      passed: false,
      message: '"downloadDate" is not a YYYY-MM-DD date: "10/02/2026"',
    });
    expect(await runJob(T, cfg, lead({}))).toEqual({ passed: false, message: '"downloadDate" has no date' });
  });

  it("applies maxAgeDays relative to processing time", async () => {
    const cfg = { field: "downloadDate", maxAgeDays: 7 };
    expect((await runJob(T, cfg, lead({ downloadDate: "2026-02-22" }))).passed).toBe(true);
    expect((await runJob(T, cfg, lead({ downloadDate: "2026-02-21" }))).passed).toBe(false);
    const old = lead({}, { createdTs: NOW - 8 * DAY });
    expect(await runJob(T, { maxAgeDays: 7 }, old)).toEqual({
      passed: false,
      message: '"createdTs" 2026-02-21T12:00:00+00:00 is more than 7 days old',
    });
    expect((await runJob(T, { maxAgeDays: 1 }, old)).message).toBe('"createdTs" 2026-02-21T12:00:00+00:00 is more than 1 day old');
  });

  it("rejects a config without bounds, with bad dates or an inverted range", () => {
    expect(parseConfig(T, {}).success).toBe(false);
    expect(parseConfig(T, { start: "2026-02-30" }).success).toBe(false);
    expect(parseConfig(T, { start: "2026-02-01T10:00:00" }).success).toBe(false);
    expect(parseConfig(T, { start: "2026-03-02", end: "2026-03-01" }).success).toBe(false);
    expect(parseConfig(T, { start: "2026-03-01", end: "2026-03-01" }).success).toBe(true);
    expect(parseConfig(T, { maxAgeDays: 0 }).success).toBe(false);
  });
});
