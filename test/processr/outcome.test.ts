import { describe, expect, it } from "vitest";
import { scoreOutcome, type ScoredJob } from "../../src/processr/outcome";

const job = (status: ScoredJob["status"], score: number, hardfail = false): ScoredJob => ({ status, score, hardfail });

describe("scoreOutcome", () => {
  it("is Valid only at the full score", () => {
    expect(scoreOutcome([job("passed", 60), job("passed", 40)])).toEqual({ flag: "Valid", score: 100, maxScore: 100, hardfail: false });
    expect(scoreOutcome([job("passed", 60), job("failed", 1)]).flag).toBe("Caution");
  });

  it("puts exactly 80 % in Caution and anything below in Invalid", () => {
    expect(scoreOutcome([job("passed", 80), job("failed", 20)])).toEqual({ flag: "Caution", score: 80, maxScore: 100, hardfail: false });
    expect(scoreOutcome([job("passed", 79), job("failed", 21)]).flag).toBe("Invalid");
    // 4 of 5 is 80 % without rounding; 399 of 500 is not.
    expect(scoreOutcome([job("passed", 4), job("failed", 1)]).flag).toBe("Caution");
    expect(scoreOutcome([job("passed", 399), job("failed", 101)]).flag).toBe("Invalid");
  });

  it("makes a failed hardfail job Invalid whatever the score", () => {
    expect(scoreOutcome([job("passed", 99), job("failed", 1, true)])).toEqual({ flag: "Invalid", score: 99, maxScore: 100, hardfail: true });
    // A hardfail job that passed changes nothing.
    expect(scoreOutcome([job("passed", 50, true), job("passed", 50)]).flag).toBe("Valid");
  });

  it("leaves jobs that did not run out of the maximum", () => {
    expect(scoreOutcome([job("passed", 10), job("not_run", 90, true)])).toEqual({ flag: "Valid", score: 10, maxScore: 10, hardfail: false });
  });

  it("treats a run of zero-score jobs as the full score", () => {
    expect(scoreOutcome([job("passed", 0)]).flag).toBe("Valid");
    expect(scoreOutcome([job("failed", 0)]).flag).toBe("Valid");
  });
});
