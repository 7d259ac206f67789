import type { QaJobDefinition } from "../types";

// Registry of QA job types by campaign_processr_jobs.type (filled in by issue 4).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const qaJobs: Record<string, QaJobDefinition<any>> = {};
