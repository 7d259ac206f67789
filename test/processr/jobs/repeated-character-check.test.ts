import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "repeated_character_check";

describe("repeated_character_check", () => {
  it("fails a letter repeated 3 times in a row, naming field, character and count", async () => {
    expect(await runJob(T, {}, lead({ firstName: "Aaaron" }))).toEqual({
      passed: false,
      message: '"firstName" has the character "A" repeated 3 times',
    });
    expect((await runJob(T, {}, lead({ lastName: "Smithhhhh" }))).message).toBe(
      '"lastName" has the character "h" repeated 5 times',
    );
  });

  it("passes double letters, digit runs and ignored URL fields by default", async () => {
    expect(parseConfig(T, {}).data).toEqual({ ignoredFields: ["website", "url"], count: 3, characters: "letters" });
    const l = lead({ firstName: "Anna", lastName: "Hill", "telephone[telephone]": "07000 000111", website: "https://www.x.org" });
    expect(await runJob(T, {}, l)).toMatchObject({ passed: true });
  });

  it("counts digits and symbols with characters=all, but never spaces", async () => {
    const l = lead({ address: "1000 Main St" });
    expect((await runJob(T, { characters: "all" }, l)).passed).toBe(false);
    expect((await runJob(T, { characters: "all" }, lead({ address: "a   b" }))).passed).toBe(true);
  });

  it("checks only the configured fields and honours count", async () => {
    const l = lead({ firstName: "Ada", company: "Zzz Ltd" });
    expect((await runJob(T, { fields: ["firstName", "lastName"] }, l)).passed).toBe(true);
    expect((await runJob(T, {}, l)).passed).toBe(false);
    expect((await runJob(T, { count: 4 }, l)).passed).toBe(true);
  });

  it("rejects a count below 2 and unknown character modes", () => {
    expect(parseConfig(T, { count: 1 }).success).toBe(false);
    expect(parseConfig(T, { characters: "digits" }).success).toBe(false);
  });
});
