import type { JobResultStatus, LeadFlag } from "../db/schema";

// Scoring (Convertr's Processr scoring documentation): every QA job that ran adds its score to maxScore, and to score when it
// passed. score = maxScore → Valid; at least 80 % of maxScore → Caution (exactly 80 % is Caution,
// the documents leave it open); below 80 % → Invalid. A failed hardfail job makes the lead
// Invalid whatever the score. Jobs that did not run count for neither.

export interface ScoredJob {
  status: JobResultStatus;
  /** The campaign job's score. */
  score: number;
  hardfail: boolean;
}

export interface Outcome {
  flag: Exclude<LeadFlag, "Test">;
  score: number;
  maxScore: number;
  hardfail: boolean;
}

export const CAUTION_PERCENT = 80;

export function scoreOutcome(jobs: readonly ScoredJob[]): Outcome {
  let score = 0;
  let maxScore = 0;
  let hardfail = false;
  for (const j of jobs) {
    if (j.status === "not_run") continue;
    maxScore += j.score;
    if (j.status === "passed") score += j.score;
    else if (j.hardfail) hardfail = true;
  }
  // Integer comparison: score / maxScore >= 80 % without floating point.
  const flag = hardfail ? "Invalid" : score === maxScore ? "Valid" : score * 100 >= maxScore * CAUTION_PERCENT ? "Caution" : "Invalid";
  return { flag, score, maxScore, hardfail };
}
