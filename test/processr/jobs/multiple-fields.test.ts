import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

describe("multiple_empty_fields_check", () => {
  const T = "multiple_empty_fields_check";

  it("fails when 3 or more captured fields are empty, listing them", async () => {
    expect(parseConfig(T, {}).data).toEqual({
      ignoredFields: ["addressLine2", "addressLine3", "addressLine4"],
      count: 3,
    });
    const l = lead({ firstName: "Ada", title: "", promotion: " ", company: "", email: "ada@example.org" });
    expect(await runJob(T, {}, l)).toEqual({
      passed: false,
      message: '3 fields are empty: "title", "promotion", "company"',
    });
  });

  it("passes two empty fields, and ignores optional address lines by default", async () => {
    const l = lead({
      firstName: "Ada",
      title: "",
      company: "",
      "lookup[addressLine2]": "",
      "lookup[addressLine3]": "",
    });
    expect(await runJob(T, {}, l)).toEqual({ passed: true, message: "2 empty fields, fewer than 3" });
    expect(await runJob(T, {}, lead({ firstName: "Ada", title: "" }))).toEqual({ passed: true, message: "1 empty field, fewer than 3" });
    expect((await runJob(T, { ignoredFields: [] }, l)).passed).toBe(false);
  });

  it("words a single empty field in the singular", async () => {
    expect(await runJob(T, { count: 1 }, lead({ firstName: "Ada", company: "" }))).toEqual({ passed: false, message: '1 field is empty: "company"' });
  });

  it("counts configured fields that were not captured as empty", async () => {
    const l = lead({ firstName: "Ada" });
    expect((await runJob(T, { fields: ["firstName", "lastName", "email", "telephone"] }, l)).passed).toBe(false);
    expect((await runJob(T, { fields: ["firstName", "lastName", "email"], count: 3 }, l)).passed).toBe(true);
    expect(parseConfig(T, { count: 0 }).success).toBe(false);
  });
});

describe("multiple_short_values_check", () => {
  const T = "multiple_short_values_check";

  it("fails when 3 or more fields have values under 4 characters", async () => {
    const l = lead({ firstName: "Al", lastName: "Wu", company: "IBM", email: "al@ibm.com" });
    expect(await runJob(T, {}, l)).toEqual({
      passed: false,
      message: '3 fields have values shorter than 4 characters: "firstName", "lastName", "company"',
    });
  });

  it("does not count empty values or fields short by nature", async () => {
    const l = lead({ title: "Mr", "telephone[countryCode]": "44", country: "UK", firstName: "Al", lastName: "Wu", company: "" });
    expect(await runJob(T, {}, l)).toEqual({ passed: true, message: "2 short values, fewer than 3" });
    expect(await runJob(T, {}, lead({ firstName: "Al", lastName: "Lovelace" }))).toEqual({ passed: true, message: "1 short value, fewer than 3" });
  });

  it("words a single short value in the singular", async () => {
    expect(await runJob(T, { count: 1 }, lead({ firstName: "Al", lastName: "Lovelace" }))).toEqual({
      passed: false,
      message: '1 field has a value shorter than 4 characters: "firstName"',
    });
  });

  it("honours minLength, count and fields, and rejects bad numbers", async () => {
    const l = lead({ firstName: "Ada", lastName: "Byron", company: "Acme" });
    expect((await runJob(T, { minLength: 6 }, l)).passed).toBe(false);
    expect((await runJob(T, { minLength: 6, count: 4 }, l)).passed).toBe(true);
    expect((await runJob(T, { minLength: 6, fields: ["firstName", "lastName"] }, l)).passed).toBe(true);
    expect(parseConfig(T, { minLength: 1 }).success).toBe(false);
    expect(parseConfig(T, { count: "x" }).success).toBe(false);
  });
});

describe("repeated_value_check", () => {
  const T = "repeated_value_check";

  it("fails when one value fills 3 or more of the configured fields", async () => {
    const l = lead({ firstName: "asdf", lastName: "ASDF", "lookup[addressLine1]": " asdf ", email: "a@b.c" });
    expect(await runJob(T, {}, l)).toEqual({
      passed: false,
      message: 'The value "asdf" is repeated in 3 fields: "firstName", "lastName", "lookup[addressLine1]"',
    });
  });

  it("passes a value in two fields and ignores fields outside the list", async () => {
    const l = lead({ firstName: "Ada", lastName: "Ada", optIn1: "yes", optIn2: "yes", optIn3: "yes" });
    expect(await runJob(T, {}, l)).toEqual({ passed: true, message: "No value repeated in 3 or more fields" });
    expect((await runJob(T, { fields: "optIn1,optIn2,optIn3" }, l)).passed).toBe(false);
    expect((await runJob(T, { fields: "firstName,lastName", count: 2 }, l)).passed).toBe(false);
  });

  it("needs at least two fields and a count of at least 2", () => {
    expect(parseConfig(T, { fields: ["firstName"] }).success).toBe(false);
    expect(parseConfig(T, { count: 1 }).success).toBe(false);
  });
});
