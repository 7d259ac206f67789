import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "non_standard_character_check";

describe("non_standard_character_check", () => {
  it("passes up to 3 of Convertr's characters in a field and fails on more", async () => {
    expect(parseConfig(T, {}).data).toEqual({
      excludedFields: ["website", "url"],
      characters: "^$%!}{*#?><=+_\\/",
      max: 3,
    });
    expect((await runJob(T, {}, lead({ email: "a_b_c@example.org", company: "R&D (UK)!" }))).passed).toBe(true);
    expect(await runJob(T, {}, lead({ firstName: "#$%!ada" }))).toEqual({
      passed: false,
      message: '"firstName" has 4 non-standard characters ("#$%!"), more than 3',
    });
  });

  it("words a single non-standard character in the singular", async () => {
    expect(await runJob(T, { max: 0 }, lead({ firstName: "Ada!" }))).toEqual({
      passed: false,
      message: '"firstName" has 1 non-standard character ("!"), more than 0',
    });
    expect((await runJob(T, { max: 1 }, lead({ firstName: "Ada" }))).message).toBe("No field has more than 1 non-standard character");
  });

  it("skips excluded fields (URLs by default)", async () => {
    const l = lead({ website: "https://x.org/a?b=c_d", firstName: "Ada" });
    expect((await runJob(T, {}, l)).passed).toBe(true);
    expect((await runJob(T, { excludedFields: [] }, l)).passed).toBe(false);
  });

  it("uses an edited character list and maximum", async () => {
    const l = lead({ company: "A&B&C&D&E" });
    expect((await runJob(T, {}, l)).passed).toBe(true);
    expect((await runJob(T, { characters: "&" }, l)).passed).toBe(false);
    expect((await runJob(T, { characters: "&", max: "4" }, l)).passed).toBe(true);
    expect(parseConfig(T, { characters: "" }).success).toBe(false);
    expect(parseConfig(T, { max: -1 }).success).toBe(false);
  });
});
