import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "profanity_check";

describe("profanity_check", () => {
  it("passes clean data, including names that contain a profanity inside a word", async () => {
    expect(parseConfig(T, {}).data).toEqual({ exclusions: [], allowed_words: [] });
    const l = lead({ firstName: "Dick", lastName: "Cockburn", city: "Scunthorpe", company: "Shitake Foods" });
    expect(await runJob(T, {}, l)).toEqual({ passed: true, message: "No profanity found" });
  });

  it("fails on a whole-word profanity in any field, whatever its case", async () => {
    expect(await runJob(T, {}, lead({ firstName: "Ada", comment: "What the FUCK" }))).toEqual({
      passed: false,
      message: '"comment" contains the profanity "fuck"',
    });
    expect((await runJob(T, {}, lead({ email: "big.twat@example.org" }))).passed).toBe(false);
  });

  it("skips excluded fields and allowed words", async () => {
    const l = lead({ comment: "bloody crap service", firstName: "Ada" });
    expect((await runJob(T, { exclusions: ["comment"] }, l)).passed).toBe(true);
    expect((await runJob(T, { allowed_words: "Crap" }, l)).passed).toBe(true);
    expect((await runJob(T, { allowed_words: ["shit"] }, l)).passed).toBe(false);
  });

  it("rejects malformed settings", () => {
    expect(parseConfig(T, { allowed_words: 3 }).success).toBe(false);
    expect(parseConfig(T, { exclusions: [""] }).success).toBe(true);
    expect(parseConfig(T, { language: "fr" }).success).toBe(false);
  });
});
