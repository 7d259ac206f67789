import type { Env } from "../env";
import type { SubscribeRequest, SubscribeResult, TransitionRequest, TransitionResult } from "./types";

/** The Durable Object that owns a lead: one per lead id. */
export function leadObject(env: Pick<Env, "LEAD_OBJECT">, leadId: number) {
  return env.LEAD_OBJECT.get(env.LEAD_OBJECT.idFromName(`lead:${leadId}`));
}

/** Every status change of a lead goes through here. */
export function transitionLead(env: Pick<Env, "LEAD_OBJECT">, req: TransitionRequest): Promise<TransitionResult> {
  return leadObject(env, req.leadId).transition(req) as Promise<TransitionResult>;
}

/** Places a sync-tag subscription; the lead object emits the current status at once if it has one. */
export function subscribeToLead(env: Pick<Env, "LEAD_OBJECT">, req: SubscribeRequest): Promise<SubscribeResult> {
  return leadObject(env, req.leadId).subscribe(req) as Promise<SubscribeResult>;
}
