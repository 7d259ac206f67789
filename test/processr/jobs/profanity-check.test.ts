import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "profanity_check";

describe("profanity_check", () => {
  it("passes clean data, including names that contain a profanity inside a word", async () => {
    expect(parseConfig(T, {}).data).toEqual({ exclusions: [], allowed_words: [], extra_words: [] });
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

  it("matches inflections: plurals, -ing, -er and -ed forms", async () => {
    for (const [text, hit] of [
      ["you fucking idiots", "fucking"], ["Shitting hell", "shitting"], ["two bitches", "bitches"],
      ["wankers all", "wankers"], ["pissing down", "pissing"], ["he fucks", "fucks"], ["crappy service", "crappy"],
    ]) {
      expect(await runJob(T, {}, lead({ comment: text! })), text).toEqual({
        passed: false,
        message: `"comment" contains the profanity "${hit}"`,
      });
    }
  });

  it("matches common obfuscations: masked letters, look-alike characters, repeated letters", async () => {
    for (const [text, hit] of [
      ["f*ck this", "f*ck"], ["F**K", "f**k"], ["sh*t!", "sh*t"], ["sh1t", "sh1t"], ["$hit happens", "$hit"],
      ["b1tches", "b1tches"], ["fuuuuck", "fuuuuck"], ["total b!tch", "b!tch"], ["fuck123", "fuck"],
    ]) {
      expect(await runJob(T, {}, lead({ comment: text! })), text).toEqual({
        passed: false,
        message: `"comment" contains the profanity "${hit}"`,
      });
    }
  });

  it("does not take masks, digits or longer words for profanities", async () => {
    for (const text of ["card **** 4242", "Flat 1, 5 Shitake Lane", "Scunthorpe", "ref *h*t", "passes assessment", "07700 900123"]) {
      expect(await runJob(T, {}, lead({ comment: text })), text).toEqual({ passed: true, message: "No profanity found" });
    }
  });

  it("takes a campaign's extra words, with their inflections and obfuscations", async () => {
    const l = lead({ comment: "a bunch of numpties", firstName: "Ada" });
    expect((await runJob(T, {}, l)).passed).toBe(true);
    expect(await runJob(T, { extra_words: "numptie, plonker" }, l)).toEqual({
      passed: false,
      message: '"comment" contains the profanity "numpties"',
    });
    expect((await runJob(T, { extra_words: ["plonker"] }, lead({ comment: "pl0nk3rs" }))).passed).toBe(false);
    expect(parseConfig(T, { extra_words: 7 }).success).toBe(false);
  });

  it("skips excluded fields and allowed words", async () => {
    const l = lead({ comment: "bloody crap service", firstName: "Ada" });
    expect((await runJob(T, { exclusions: ["comment"] }, l)).passed).toBe(true);
    expect((await runJob(T, { allowed_words: "Crap" }, l)).passed).toBe(true);
    expect((await runJob(T, { allowed_words: ["shit"] }, l)).passed).toBe(false);
    // Allowing a word allows its forms; allowing one form allows only that one.
    expect((await runJob(T, { allowed_words: "crap" }, lead({ comment: "crappy craps" }))).passed).toBe(true);
    expect((await runJob(T, { allowed_words: "craps" }, lead({ comment: "craps" }))).passed).toBe(true);
    expect((await runJob(T, { allowed_words: "craps" }, lead({ comment: "crappy" }))).passed).toBe(false);
  });

  it("rejects malformed settings", () => {
    expect(parseConfig(T, { allowed_words: 3 }).success).toBe(false);
    expect(parseConfig(T, { exclusions: [""] }).success).toBe(true);
    expect(parseConfig(T, { language: "fr" }).success).toBe(false);
  });
});
