import type { Env } from "../env";
import type { TransitionRequest, TransitionResult } from "./types";

/** The Durable Object that owns a lead: one per lead id. */
export function leadObject(env: Pick<Env, "LEAD_OBJECT">, leadId: number) {
  return env.LEAD_OBJECT.get(env.LEAD_OBJECT.idFromName(`lead:${leadId}`));
}

/** Every status change of a lead goes through here. */
export function transitionLead(env: Pick<Env, "LEAD_OBJECT">, req: TransitionRequest): Promise<TransitionResult> {
  return leadObject(env, req.leadId).transition(req) as Promise<TransitionResult>;
}
