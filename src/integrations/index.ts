import type { IntegrationJobDefinition } from "../processr/types";

// Registry of integration job types by campaign_processr_jobs.type (filled in by issue 6).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const integrationJobs: Record<string, IntegrationJobDefinition<any>> = {};
