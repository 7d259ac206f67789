import type { IntegrationJobDefinition } from "../processr/types";

/** An integration job that calls one destination, so that dispatch can limit concurrency and rate per host. */
export interface OutboundIntegrationJob<C> extends IntegrationJobDefinition<C> {
  /** The URL the job calls (its host is the concurrency key). */
  destination(config: C): string;
  /** False when the job is configured but switched off (Convoso's "active" flag). */
  isActive(config: C): boolean;
  /** Requests one delivery makes to the destination, counted against its per-minute rate (default 1). */
  requestsPerDelivery?(config: C): number;
}
