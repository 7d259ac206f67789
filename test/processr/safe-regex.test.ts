import { describe, expect, it } from "vitest";
import { unsafeRegexReason } from "../../src/processr/safe-regex";

// The shapes of find/replace patterns a value transform accepts: those whose backtracking stays
// small on the bounded input, not those that can explode.

describe("unsafeRegexReason", () => {
  it.each([
    ["[^0-9]+", "g"],
    ["^\\s+|\\s+$", "g"],
    ["^(\\+44|0044)", ""],
    ["(?<area>\\d{3})-(\\d{4})", ""],
    ["(?:ltd|limited)\\.?$", "i"],
    ["a{2,32}", ""],
    ["[(+*)]", ""],
    ["\\(\\d\\)", ""],
  ])("accepts %s", (pattern, flags) => {
    expect(unsafeRegexReason(pattern, flags)).toBeNull();
  });

  it.each([
    ["(a+)+$", "nested repetition"],
    ["(a|aa)*", "nested repetition"],
    ["(.*a){12}", "nested repetition"],
    ["((ab)*c)+", "nested repetition"],
    ["(\\w)\\1", "Back-references"],
    ["(?<x>a)\\k<x>", "Back-references"],
    ["a(?=b)", "Lookahead"],
    ["(?<!a)b", "Lookahead"],
    ["a*b*c*", "variable repetitions"],
    ["a?b?c?", "variable repetitions"],
    ["a{1,100}", "range"],
    ["a|b|c|d|e|f", "alternatives"],
    ["[", "not a valid regular expression"],
    ["x".repeat(201), "longer than 200"],
  ])("refuses %s", (pattern, reason) => {
    expect(unsafeRegexReason(pattern, "g")).toContain(reason);
  });
});
