import type { IntegrationJobDefinition } from "../processr/types";

/** An integration job that calls one destination, so that dispatch can limit concurrency per host. */
export interface OutboundIntegrationJob<C> extends IntegrationJobDefinition<C> {
  /** The URL the job calls (its host is the concurrency key). */
  destination(config: C): string;
  /** False when the job is configured but switched off (Convoso's "active" flag). */
  isActive(config: C): boolean;
}
