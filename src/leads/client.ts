import type { Env } from "../env";
import { enqueueIntegrations, HANDOFF_EVENTS } from "../integrations/dispatch";
import { type Decision, decisionWithoutObject, type LeadState, leadObjectName } from "./lead-object";
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

/** The Durable Object that owns a lead: one per lead id, which it knows from its name. */
export function leadObject(env: Pick<Env, "LEAD_OBJECT">, leadId: number) {
  return env.LEAD_OBJECT.get(env.LEAD_OBJECT.idFromName(leadObjectName(leadId)));
}

/** Every status change of a lead goes through here. */
export function transitionLead(env: Pick<Env, "LEAD_OBJECT">, req: TransitionRequest): Promise<TransitionResult> {
  return leadObject(env, req.leadId).transition(req) as Promise<TransitionResult>;
}

/**
 * A transition decided from the caller's snapshot, for the caller to commit (the Processr
 * consumer's batch: LeadObject.decide); a write that finds the lead changed goes through transitionLead.
 * A decision for which the object would store nothing (one that writes nothing, such as a sync
 * callback confirming the lead's flag, or a write with no hand-off and no callbacks) is made here,
 * without the object's round trip: the object would decide it from the same snapshot
 * (decisionWithoutObject).
 */
export async function decideLead(env: Pick<Env, "LEAD_OBJECT">, req: TransitionRequest & { snapshot: LeadState }): Promise<Decision> {
  return decisionWithoutObject(req) ?? ((await leadObject(env, req.leadId).decide(req)) as Decision);
}

/**
 * The integrations hand-off of decisions their caller committed (Decision.handOff), for a whole
 * batch of leads: their deliveries queued in two D1 round trips, then each lead object told, which
 * clears the intent it stored before the write. Until then that intent stands: if this fails, the
 * objects' alarms hand the leads off instead (a hand-off repeated is harmless: a job acts once per lead).
 */
export async function handOffCommitted(env: Pick<Env, "DB" | "LEAD_OBJECT" | "PROCESSR_QUEUE">, leadIds: readonly number[]): Promise<void> {
  if (leadIds.length === 0) return;
  try {
    await enqueueIntegrations(env, leadIds, HANDOFF_EVENTS);
  } catch (e) {
    console.error("integrations hand-off failed; the lead objects retry from their alarms", leadIds.join(","), String(e));
    return;
  }
  await Promise.all(
    leadIds.map((leadId) =>
      leadObject(env, leadId)
        .handedOff(leadId)
        .catch((e: unknown) => console.error("lead object not told of its hand-off; its alarm hands it off again", leadId, String(e))),
    ),
  );
}

/**
 * The leads a batch of callbacks left some pending for (deliverCallbackBatches): each object sets
 * its alarm for the earliest due retry, instead of its safety alarm a minute on. If this fails, the
 * safety alarm still takes them over.
 */
export async function callbacksLeft(env: Pick<Env, "LEAD_OBJECT">, leadIds: readonly number[]): Promise<void> {
  await Promise.all(
    leadIds.map((leadId) =>
      leadObject(env, leadId)
        .callbacksLeft(leadId)
        .catch((e: unknown) => console.error("lead object not told of its pending callbacks; its safety alarm retries them", leadId, String(e))),
    ),
  );
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
