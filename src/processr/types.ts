import type { z } from "zod";
import type { Env } from "../env";
import type { LeadFlag } from "../db/schema";
import type { Violation } from "../errors";
import type { MoreRequests } from "../integrations/host-limiter";
import type { PlatformDataName } from "../leads/platform-data";
import type { ListLookup } from "../lists/lookup";
import type { TransformMatch } from "./value-transforms";

// Contracts between the Processr run (src/processr/run.ts), its QA jobs (src/processr/jobs/) and
// its integration jobs (src/integrations/).

/** Numeric Processr states (Convertr's lead status documentation). */
export const PROCESSR_STATUS = {
  RECEIVED: 0,
  SENT_TO_PROCESSR: 100,
  ON_HOLD_NO_JOB: 500,
  ON_HOLD_OVER_DELIVERY: 510,
  FAILED: 900, // gave up after retries: the message went to the dead-letter queue
  COMPLETE: 1000,
} as const;

export const PROCESSR_STATUS_NAMES: Record<number, string> = {
  0: "Received",
  100: "Sent to Processr",
  500: "On Hold - No Job Assigned",
  510: "On Hold - Publisher Over Delivery",
  900: "Processing Failed",
  1000: "Complete",
};

/** What a job sees of the lead it runs on. */
export interface JobLead {
  id: number;
  campaignId: number;
  publisherId: number;
  ip: string | null;
  userAgent: string | null;
  createdTs: number;
  /** Trimmed and lower-cased, from the form's email-type field (src/leads/email.ts). */
  email: string | null;
  /** Every captured value by field name as captured ("firstName", "lookup[postcode]"). */
  values: Record<string, string>;
  /**
   * The platform lead data (src/leads/platform-data.ts), computed from the lead row: a job's
   * configured field and a group's condition fall back to it when the lead captured no value of
   * that name, as the lead's data reads. Kept apart from values so that jobs scanning every
   * captured field do not scan the user agent or the IP. Absent outside a Processr run.
   */
  platform?: Readonly<Record<PlatformDataName, string>>;
  /** The Transform rules run on the lead before its jobs, by rule id (the value_transforms job reads them). */
  valueTransforms?: ReadonlyMap<number, TransformMatch>;
}

/** History queries for duplicate, rate and activity checks (D1 implementation: src/processr/job-context.ts). */
export interface JobHistory {
  /**
   * Counts earlier leads (a lower id than lead.id, not deleted) matching all the given conditions.
   */
  countOtherLeads(q: {
    lead: JobLead;
    campaignId?: number;
    publisherId?: number;
    email?: string;
    ip?: string;
    sinceTs?: number;
    /**
     * Only leads with one of these flags; "Billable" means advertiser-billable Valid leads, null
     * leads not flagged yet.
     */
    flags?: (LeadFlag | "Billable" | null)[];
  }): Promise<number>;
}

export interface JobContext {
  history: JobHistory;
  /** Validation list lookups (src/lists/lookup.ts), shared by a queue batch like history. */
  lists: ListLookup;
  now: number;
}

export interface JobOutcome {
  passed: boolean;
  /** Why it failed (shown in job results, lead-result reasons and logs), or a short pass note. */
  message: string;
  /**
   * What message must not tell a publisher (another lead's existence, say): stored with the result
   * and shown to admins only.
   */
  detail?: string;
}

/** A QA job type: one module per type under src/processr/jobs/. */
export interface QaJobDefinition<C = unknown> {
  kind: "qa";
  /** Key stored in campaign_processr_jobs.type, e.g. "required_value_check". */
  type: string;
  /** Convertr's catalogue id and name (Convertr's Processr job documentation), where it has one. */
  catalogueId: number | null;
  name: string;
  /** Validates campaign_processr_jobs.config; defaults fill in missing settings. */
  configSchema: z.ZodType<C>;
  /** Checks of a parsed config against the database when the job is saved (paths within config). */
  checkConfig?(env: Pick<Env, "DB">, config: C): Promise<Violation[]>;
  run(lead: JobLead, config: C, ctx: JobContext): Promise<JobOutcome> | JobOutcome;
}

/** Result of one integration delivery attempt. */
export type IntegrationOutcome =
  | {
      status: "delivered";
      remoteLeadId?: string;
      remoteLeadHash?: string;
      /** The client took the lead's sync tag with the lead: the delivery is marked tagged with the outcome. */
      syncTagPlaced?: boolean;
      responseValue?: string;
      /** A value brought in from the vendor (an enrichment pull), added to the lead under a new name. */
      leadData?: { name: string; value: string };
      message: string;
      /** The delivery's own writes (its call's log line, …), in one D1 batch with the outcome's. */
      writes?: D1PreparedStatement[];
    }
  /** Final failure (e.g. the client's 4xx validation error): not retried. */
  | { status: "rejected"; message: string }
  /** Transient failure: retried with backoff; retryAfterMs honours the client's Retry-After. */
  | { status: "retry"; message: string; retryAfterMs?: number };

/** An integration job type (src/integrations/): runs after QA, only on Valid leads, at most once per lead. */
export interface IntegrationJobDefinition<C = unknown> {
  kind: "integration";
  type: string;
  catalogueId: number | null;
  name: string;
  configSchema: z.ZodType<C>;
  deliver(
    lead: JobLead & { leadHash: string },
    config: C,
    /**
     * syncSecret: the delivery's sync-tag secret set with the claim (null: no tags placed), for a
     * job that asks for it (syncSecretWithClaim, src/integrations/types.ts); absent otherwise.
     * requests: the requests counted against the host's rate for this delivery (its requestsPerDelivery);
     * moreRequests counts more, for a delivery that finds it needs them (src/integrations/host-limiter.ts).
     */
    ctx: {
      env: Env; jobId: number; idempotencyKey: string; attempt: number; syncSecret?: string | null;
      requests?: number; moreRequests?: MoreRequests;
    },
  ): Promise<IntegrationOutcome>;
}
