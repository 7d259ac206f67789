import { convertrConnect } from "./convertr-connect";
import { httpIntegration } from "./http-integration";
import type { OutboundIntegrationJob } from "./types";

// Registry of integration job types by campaign_processr_jobs.type. Each also names its
// destination, so that dispatch can limit concurrency per host. Null prototype: the type comes
// from v4 writes, and "constructor" or "toString" must not find Object.prototype's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const integrationJobs: Record<string, OutboundIntegrationJob<any>> = Object.assign(Object.create(null), {
  [convertrConnect.type]: convertrConnect,
  [httpIntegration.type]: httpIntegration,
} satisfies Record<string, OutboundIntegrationJob<any>>);

/** Whether a campaign_processr_jobs.type is an integration (a delivery to the client) rather than a QA check. */
export const isIntegrationJobType = (type: string) => Object.hasOwn(integrationJobs, type);
