import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "test_data_check";

describe("test_data_check", () => {
  it("passes ordinary data, including words that merely contain 'test'", async () => {
    expect(parseConfig(T, {}).data).toEqual({ ignoredFields: [] });
    const out = await runJob(T, {}, lead({ firstName: "Celeste", lastName: "Contestant", company: "Testament Ltd" }));
    expect(out).toEqual({ passed: true, message: "No test data found" });
  });

  it.each([
    [{ firstName: "Test" }, '"firstName" contains the word "test": "Test"'],
    [{ email: "john.test@example.org" }, '"email" contains the word "test": "john.test@example.org"'],
    [{ lastName: "TEST123" }, '"lastName" contains the word "test": "TEST123"'],
    [{ "lookup[postcode]": "aa1 1aa" }, '"lookup[postcode]" is the test postcode "AA1 1AA"'],
  ])("fails on %j", async (values, message) => {
    expect(await runJob(T, {}, lead(values))).toEqual({ passed: false, message });
  });

  it("looks only at the configured fields, minus ignored ones", async () => {
    const l = lead({ firstName: "Ada", promotion: "test campaign", lastName: "test" });
    expect((await runJob(T, { fields: ["firstName"] }, l)).passed).toBe(true);
    expect((await runJob(T, { ignoredFields: ["promotion", "lastName"] }, l)).passed).toBe(true);
    expect((await runJob(T, { ignoredFields: ["promotion"] }, l)).message).toContain('"lastName"');
  });

  it("rejects a malformed field list", () => {
    expect(parseConfig(T, { fields: { a: 1 } }).success).toBe(false);
  });
});
