import type { Env } from "../env";
import { type Decision, decisionWithoutWrite, type LeadState } from "./lead-object";
import type {
  LeadUpdateResult,
  OtherReasonRequest,
  ProcessrStatusRequest,
  ReprocessRequest,
  SubscribeRequest,
  SubscribeResult,
  TransitionRequest,
  TransitionResult,
} from "./types";

/** The Durable Object that owns a lead: one per lead id. */
export function leadObject(env: Pick<Env, "LEAD_OBJECT">, leadId: number) {
  return env.LEAD_OBJECT.get(env.LEAD_OBJECT.idFromName(`lead:${leadId}`));
}

/** Every status change of a lead goes through here. */
export function transitionLead(env: Pick<Env, "LEAD_OBJECT">, req: TransitionRequest): Promise<TransitionResult> {
  return leadObject(env, req.leadId).transition(req) as Promise<TransitionResult>;
}

/**
 * A transition decided from the caller's snapshot, for the caller to commit (the Processr
 * consumer's batch: LeadObject.decide); a write that finds the lead changed goes through transitionLead.
 * A decision that writes nothing (a sync callback confirming the lead's flag) is made here, without
 * the object's round trip: the object would decide it from the same snapshot and store nothing.
 */
export async function decideLead(env: Pick<Env, "LEAD_OBJECT">, req: TransitionRequest & { snapshot: LeadState }): Promise<Decision> {
  return decisionWithoutWrite(req) ?? ((await leadObject(env, req.leadId).decide(req)) as Decision);
}

/** Places a sync-tag subscription; the lead object emits the current status at once if it has one. */
export function subscribeToLead(env: Pick<Env, "LEAD_OBJECT">, req: SubscribeRequest): Promise<SubscribeResult> {
  return leadObject(env, req.leadId).subscribe(req) as Promise<SubscribeResult>;
}

/** Puts a lead still being processed on hold or marks its run failed (statistics move with it). */
export function setLeadProcessrStatus(env: Pick<Env, "LEAD_OBJECT">, req: ProcessrStatusRequest): Promise<LeadUpdateResult> {
  return leadObject(env, req.leadId).setProcessrStatus(req) as Promise<LeadUpdateResult>;
}

/** Clears a lead's job results and sets it back to "Received"; the caller then enqueues it. */
export function resetLeadForReprocess(env: Pick<Env, "LEAD_OBJECT">, req: ReprocessRequest): Promise<LeadUpdateResult> {
  return leadObject(env, req.leadId).resetForReprocess(req) as Promise<LeadUpdateResult>;
}

/** Marks a lead as Other (Replacement or Other, with a comment) or clears the mark; writes a note. */
export function setLeadOtherReason(env: Pick<Env, "LEAD_OBJECT">, req: OtherReasonRequest): Promise<LeadUpdateResult> {
  return leadObject(env, req.leadId).setOtherReason(req) as Promise<LeadUpdateResult>;
}
