import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

describe("field_not_empty", () => {
  const T = "field_not_empty";

  it("passes a field with a value and fails an empty or missing one", async () => {
    expect(await runJob(T, { field: "company" }, lead({ company: "Acme" }))).toEqual({ passed: true, message: '"company" has a value' });
    expect(await runJob(T, { field: "company" }, lead({ company: " " }))).toEqual({ passed: false, message: '"company" is empty' });
    expect(await runJob(T, { field: "company" }, lead({}))).toEqual({ passed: false, message: '"company" was not captured' });
    expect((await runJob(T, { field: "telephone" }, lead({ "telephone[telephone]": "0770" }))).passed).toBe(true);
  });

  it("requires a field", () => {
    expect(parseConfig(T, {}).success).toBe(false);
    expect(parseConfig(T, { field: "" }).success).toBe(false);
  });
});

describe("field_length_check", () => {
  const T = "field_length_check";

  it("passes at the minimum and fails below it", async () => {
    const cfg = { field: "jobTitle", minLength: 3 };
    expect((await runJob(T, cfg, lead({ jobTitle: "CEO" }))).passed).toBe(true);
    expect(await runJob(T, cfg, lead({ jobTitle: " IT " }))).toEqual({
      passed: false,
      message: '"jobTitle" has 2 characters, fewer than 3',
    });
    expect((await runJob(T, cfg, lead({}))).message).toBe('"jobTitle" has 0 characters, fewer than 3 (not captured)');
    expect((await runJob(T, cfg, lead({ jobTitle: "X" }))).message).toBe('"jobTitle" has 1 character, fewer than 3');
    expect((await runJob(T, { field: "jobTitle", minLength: 1 }, lead({ jobTitle: "X" }))).message).toBe('"jobTitle" has 1 character');
  });

  it("applies an optional maximum", async () => {
    const cfg = { field: "jobTitle", minLength: 1, maxLength: 5 };
    expect((await runJob(T, cfg, lead({ jobTitle: "Director" }))).message).toBe('"jobTitle" has 8 characters, more than 5');
  });

  it("requires field and minLength and a sane range", () => {
    expect(parseConfig(T, {}).success).toBe(false);
    expect(parseConfig(T, { field: "x" }).success).toBe(false);
    expect(parseConfig(T, { field: "x", minLength: 0 }).success).toBe(false);
    expect(parseConfig(T, { field: "x", minLength: 5, maxLength: 4 }).success).toBe(false);
  });
});
