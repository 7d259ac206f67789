import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

describe("first_last_name_check", () => {
  const T = "first_last_name_check";

  it("passes different names and fails equal ones, ignoring case and spaces", async () => {
    expect(parseConfig(T, {}).data).toEqual({ firstNameField: "firstName", lastNameField: "lastName" });
    expect(await runJob(T, {}, lead({ firstName: "Ada", lastName: "Lovelace" }))).toMatchObject({ passed: true });
    expect(await runJob(T, {}, lead({ firstName: " Smith", lastName: "SMITH " }))).toEqual({
      passed: false,
      message: '"firstName" and "lastName" are the same: "Smith"',
    });
  });

  it("uses the configured name fields and passes when a name is missing", async () => {
    const cfg = { lastNameField: "surname" };
    expect((await runJob(T, cfg, lead({ firstName: "Jo", surname: "jo" }))).passed).toBe(false);
    expect(await runJob(T, cfg, lead({ firstName: "Jo" }))).toMatchObject({ passed: true });
    expect(parseConfig(T, { firstNameField: "" }).success).toBe(false);
  });
});

describe("first_last_name_length_check", () => {
  const T = "first_last_name_length_check";

  it("defaults to at least 4 characters together", async () => {
    expect(parseConfig(T, {}).data).toMatchObject({ minLength: 4 });
    expect(await runJob(T, {}, lead({ firstName: "Jo", lastName: "Ng" }))).toMatchObject({ passed: true });
    expect(await runJob(T, {}, lead({ firstName: "A", lastName: "Bc" }))).toEqual({
      passed: false,
      message: '"firstName" and "lastName" have 3 characters together ("A" "Bc"), fewer than 4',
    });
  });

  it("honours minLength (also as a string) and rejects nonsense", async () => {
    expect((await runJob(T, { minLength: "10" }, lead({ firstName: "Ada", lastName: "Byron" }))).passed).toBe(false);
    expect((await runJob(T, { minLength: 8 }, lead({ firstName: "Ada", lastName: "Byron" }))).passed).toBe(true);
    expect(parseConfig(T, { minLength: 0 }).success).toBe(false);
    expect(parseConfig(T, { minLength: "four" }).success).toBe(false);
    expect(parseConfig(T, { minLength: 2.5 }).success).toBe(false);
  });
});
