import type { LeadFlag } from "../db/schema";

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

export type SubscribeResult =
  | { ok: true; subscriptionId: number }
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
