import { describe, expect, it } from "vitest";
import { NOW, parseConfig, runWithHistory, storeLead, unique } from "./helpers";

const T = "user_overactivity_check";
const HOUR = 3_600_000;

describe("user_overactivity_check", () => {
  it("defaults to one lead per email per 24 hours across campaigns", () => {
    expect(parseConfig(T, {}).data).toEqual({ limit: 1, periodHours: 24, scope: "enterprise" });
  });

  it("fails an email seen on another campaign within the period, whatever its status", async () => {
    const email = `${unique("busy")}@example.org`;
    await storeLead({ email, campaignId: 603, formId: 37, flag: "Invalid", createdTs: NOW - 23 * HOUR });
    const l = await storeLead({ email });
    expect(await runWithHistory(T, {}, l)).toEqual({
      passed: false,
      message: "Failed user overactivity check",
      detail: `Email "${email}" sent 1 other lead in the 24 hours before it (limit 1 lead)`,
    });
    expect((await runWithHistory(T, { scope: "campaign" }, l)).passed).toBe(true);
  });

  it("passes outside the period and below the limit", async () => {
    const email = `${unique("calm")}@example.org`;
    await storeLead({ email, createdTs: NOW - 25 * HOUR });
    await storeLead({ email, createdTs: NOW - 2 * HOUR });
    await storeLead({ email, createdTs: NOW - 1 * HOUR });
    const l = await storeLead({ email: email.toUpperCase() });
    expect((await runWithHistory(T, { limit: 3 }, l)).passed).toBe(true);
    expect((await runWithHistory(T, { limit: 2 }, l)).passed).toBe(false);
    expect((await runWithHistory(T, { limit: 3, periodHours: 48 }, l)).passed).toBe(false);
    expect((await runWithHistory(T, { periodHours: 1 }, l)).passed).toBe(false);
  });

  it("passes a lead without an email and rejects bad settings", async () => {
    expect((await runWithHistory(T, {}, await storeLead({ email: null }))).passed).toBe(true);
    expect(parseConfig(T, { limit: 0 }).success).toBe(false);
    expect(parseConfig(T, { periodHours: 0 }).success).toBe(false);
    expect(parseConfig(T, { scope: "category" }).success).toBe(false);
  });
});
