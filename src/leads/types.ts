import type { LeadFlag } from "../db/schema";
import type { LeadState } from "./lead-object";

// The contract of the per-lead Durable Object (src/leads/lead-object.ts). Every status change of
// a lead goes through LeadObject.transition(); nothing else writes leads.flag.

export type TransitionSource = "processr" | "manual" | "webhook" | "sync" | "delete";

export interface TransitionRequest {
  leadId: number;
  /** The new flag, or "Deleted" for a soft delete. */
  to: LeadFlag | "Deleted";
  source: TransitionSource;
  /** Who: a user id when a person did it. */
  userId?: number | null;
  /** Human-readable actor for notes: "admin@acme.test", "processr", "sync:http://127.0.0.1:8787". */
  author: string;
  reason?: string | null;
  /** Processr outcome detail, for source "processr". */
  processr?: { score: number; maxScore: number; hardfail: boolean; qaResult: LeadFlag };
  /**
   * Apply only if the lead's flag (null: unprocessed) is still one of these when the object holds
   * it; otherwise refused. A caller that decided from a flag it read earlier never overrides a
   * change made since.
   */
  onlyFrom?: (LeadFlag | null)[];
  /**
   * The lead's state as the caller read it (readLeadStates): the object decides from it instead
   * of its own read; its write applies only if the lead is still so, else the object reads the
   * lead and decides again (src/leads/lead-writes.ts).
   */
  snapshot?: LeadState;
  /**
   * The caller delivers the change's sync callbacks itself, batched with other leads'
   * (deliverCallbackBatches); the object's alarm takes over what is still pending, at its retry's time
   * (callbacksLeft), else a minute later.
   */
  callbacksByCaller?: boolean;
}

export type TransitionResult =
  | { ok: true; leadId: number; from: LeadFlag | null; to: LeadFlag | "Deleted"; changed: boolean }
  | { ok: false; code: "NOT_FOUND" | "INVALID_TRANSITION"; message: string };

/** Events a lead emits to sync-tag subscribers (payload `type` of the signed callback). */
export type LeadEventType = "lead.status_changed" | "lead.deleted";

/** A downstream subscription to a lead's status changes (sync tags), placed through the lead object. */
export interface SubscribeRequest {
  leadId: number;
  campaignPublisherId: number;
  callbackUrl: string;
  /** Standard Webhooks secret "whsec_…" chosen by the subscriber. */
  secret: string;
}

/** Active (not disabled) sync subscriptions a lead takes; a retried subscriber reuses its own. */
export const MAX_SUBSCRIPTIONS_PER_LEAD = 5;

export type SubscribeResult =
  /** leadHash: the subscribed lead's, for a caller that did not read the lead itself. */
  | { ok: true; subscriptionId: number; leadHash: string }
  /**
   * INVALID_CALLBACK: the callback URL or the secret is not acceptable (outbound URL policy).
   * TOO_MANY_SUBSCRIPTIONS: the lead has MAX_SUBSCRIPTIONS_PER_LEAD active ones already.
   */
  | { ok: false; code: "NOT_FOUND" | "INVALID_CALLBACK" | "TOO_MANY_SUBSCRIPTIONS"; message: string };

/**
 * A Processr state that carries no flag, set through the lead object because it moves the lead
 * between statistics buckets: on hold (no QA job, or over the publisher's allocation on a campaign
 * that holds over-delivery) or failed (the message went to the dead-letter queue). Applies only to a lead still being processed (status below 500); otherwise a no-op.
 */
export interface ProcessrStatusRequest {
  leadId: number;
  status: 500 | 510 | 900;
  author: string;
  reason: string;
  /** Extra detail for the Processr log line written with the change. */
  context?: Record<string, unknown>;
}

/** Reprocessing: clears the job results and puts the lead back to "Received" (0), ready to be queued. */
export interface ReprocessRequest {
  leadId: number;
  userId?: number | null;
  author: string;
}

/** Convertr's "Mark as Other": reason Replacement or Other with a comment; null clears it ("None"). */
export interface OtherReasonRequest {
  leadId: number;
  reason: "Replacement" | "Other" | null;
  comment: string | null;
  userId?: number | null;
  author: string;
}

export type LeadUpdateResult =
  | { ok: true; leadId: number; changed: boolean; processrStatus: number }
  | { ok: false; code: "NOT_FOUND"; message: string };

/**
 * Body of a signed sync-tag callback (POST to the subscriber's callbackUrl, Standard Webhooks headers).
 * `flag` is null for "lead.deleted".
 */
export interface LeadEventPayload {
  type: LeadEventType;
  eventId: number;
  leadId: number;
  leadHash: string;
  flag: LeadFlag | null;
  previousFlag: LeadFlag | null;
  reason: string | null;
  occurredTs: string;
}
