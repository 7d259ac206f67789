import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "telephone_format_check";

describe("telephone_format_check", () => {
  it("passes real-looking numbers in the flat or nested telephone field", async () => {
    expect(parseConfig(T, {}).data).toEqual({ minDigits: 10, maxDigits: 15, repeatedDigits: 8, sequentialDigits: 8 });
    const numbers: Record<string, string>[] = [
      { telephone: "+44 (0)20 7946 0958" },
      { "telephone[countryCode]": "44", "telephone[telephone]": "7700 900123" },
      { phone: "020-7000-0000" },
    ];
    for (const values of numbers) {
      expect((await runJob(T, {}, lead(values))).passed, JSON.stringify(values)).toBe(true);
    }
  });

  it.each([
    [{ telephone: "0770090" }, '"telephone" has 7 digits, fewer than 10'],
    [{ telephone: "7" }, '"telephone" has 1 digit, fewer than 10'],
    [{ telephone: "0044770090012345678" }, '"telephone" has 19 digits, more than 15'],
    [{ "telephone[telephone]": "07700 9OO123" }, '"telephone[telephone]" has characters other than digits: "07700 9OO123"'],
    [{ telephone: "07777777777" }, '"telephone" has the digit "7" repeated 10 times'],
    [{ telephone: "0123456789" }, '"telephone" has 10 sequential digits "0123456789"'],
    [{ mobile: "07987654321" }, '"mobile" has 9 sequential digits "987654321"'],
  ])("fails %j", async (values, message) => {
    expect(await runJob(T, {}, lead(values))).toEqual({ passed: false, message });
  });

  it("passes a lead without a telephone (the Required Value Check covers presence)", async () => {
    expect(await runJob(T, {}, lead({ firstName: "Ada" }))).toMatchObject({ passed: true });
  });

  it("honours the configured field and limits", async () => {
    const l = lead({ telephone: "0770090012", fax: "12345" });
    expect((await runJob(T, { field: "fax" }, l)).passed).toBe(false);
    expect((await runJob(T, { field: "fax", minDigits: 5 }, l)).passed).toBe(true);
    expect((await runJob(T, { sequentialDigits: 5 }, lead({ telephone: "02071234567" }))).passed).toBe(false);
    expect((await runJob(T, { repeatedDigits: 4 }, lead({ telephone: "02070000123" }))).passed).toBe(false);
  });

  it("rejects minDigits above maxDigits and run lengths that are too short", () => {
    expect(parseConfig(T, { minDigits: 12, maxDigits: 11 }).success).toBe(false);
    expect(parseConfig(T, { repeatedDigits: 1 }).success).toBe(false);
    expect(parseConfig(T, { sequentialDigits: 2 }).success).toBe(false);
  });
});
