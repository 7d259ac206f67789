import type { LeadObject } from "./leads/lead-object";
import type { RateLimiter } from "./ratelimit/rate-limiter";
import type { OutboundHostLimiter } from "./integrations/host-limiter";
import type { ProcessrMessage } from "./processr/messages";
import type { BulkMessage } from "./bulk/messages";

// Bindings and vars of wrangler.toml, plus the secrets (`wrangler secret`; locally .wrangler/local-secrets.env).
export interface Env {
  DB: D1Database;
  LEAD_OBJECT: DurableObjectNamespace<LeadObject>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  OUTBOUND_LIMITER: DurableObjectNamespace<OutboundHostLimiter>;
  PROCESSR_QUEUE: Queue<ProcessrMessage>;
  PROCESSR_DLQ: Queue<ProcessrMessage>;
  /** Bulk lead operations, one batch of a job per message (src/bulk). */
  BULK_QUEUE: Queue<BulkMessage>;
  /** Uploaded documents, such as campaign purchase orders. */
  FILES: R2Bucket;
  /** Leads archived out of D1 (src/archive), partitioned by campaign and month. */
  ARCHIVE: R2Bucket;
  /** Days a lead stays in D1 before the archive takes it, unless its campaign says otherwise (unset: never). */
  ARCHIVE_AFTER_DAYS?: string;

  ENTERPRISE: string;
  BASE_URL: string;
  ENVIRONMENT: "local" | "production";
  SMS_PROVIDER: "outbox" | "twilio";
  RATE_LIMIT_WINDOW_SECONDS: string;
  RATE_LIMIT_LOGIN: string;
  RATE_LIMIT_LEAD_RESULT: string;
  RATE_LIMIT_TOTAL: string;
  /** Per client IP for credentialed requests; default 4 × RATE_LIMIT_TOTAL (src/ratelimit/policies.ts). */
  RATE_LIMIT_IP?: string;
  OUTBOUND_HOST_CONCURRENCY: string;
  /** Outbound integration requests started per minute to one host (default 600). */
  OUTBOUND_HOST_RATE_PER_MINUTE?: string;
  /** "true" lets integrations call private/loopback addresses (local demo only). */
  ALLOW_PRIVATE_OUTBOUND?: string;
  CORS_ORIGINS: string;

  JWT_SECRET?: string;
  WEBHOOK_KEY?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM?: string;
  // Overrides the Twilio API origin (tests point it at a local server).
  TWILIO_API_BASE?: string;
}

// Who is calling, as established by src/auth/authenticate.ts.
export type Principal =
  | {
      kind: "user";
      userId: number;
      username: string;
      role: "admin" | "publisher";
      publisherId: number | null;
    }
  | {
      // A campaign-publisher API key (X-Api-Key): one campaign, one publisher.
      kind: "apiKey";
      campaignPublisherId: number;
      campaignId: number;
      publisherId: number;
    };

export interface AppVariables {
  principal: Principal;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
