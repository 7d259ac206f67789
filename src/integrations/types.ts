import type { Env } from "../env";
import type { Violation } from "../errors";
import type { IntegrationJobDefinition } from "../processr/types";
import type { IntegrationTrigger } from "./triggers";

/** An integration job that calls one destination, so that dispatch can limit concurrency and rate per host. */
export interface OutboundIntegrationJob<C> extends IntegrationJobDefinition<C> {
  /** The URL the job calls (its host is the concurrency key). */
  destination(config: C): string;
  /** False when the job is configured but switched off (Convoso's "active" flag). */
  isActive(config: C): boolean;
  /** When the job acts on a lead (default: when the Processr makes it Valid). */
  trigger?(config: C): IntegrationTrigger;
  /** True when the job brings data into the lead from the destination rather than delivering the lead to it. */
  isEnrichment?(config: C): boolean;
  /**
   * Whether the delivery keeps a sync-tag secret (config.syncTags: the default until the job's tags
   * are placed or removed): set by the claim's own statement before the lead goes out (syncSecretTerms,
   * a statement saved) and handed to deliver as ctx.syncSecret, null when the job places no tags.
   */
  syncSecretWithClaim?(config: C): boolean;
  /**
   * Requests one delivery makes to the destination, counted against its per-minute rate before it
   * starts (default 1); a delivery that finds it needs more counts them (deliver's ctx.moreRequests).
   */
  requestsPerDelivery?(config: C): number;
  /**
   * Checks a parsed config against the destination when it is saved (e.g. the field mapping
   * against the client's form); violations are relative to the config. `localFields`: the field
   * names the job's campaign captures, plus the platform fields.
   */
  checkConfig?(env: Env, config: C, localFields: ReadonlySet<string>): Promise<Violation[]>;
}
