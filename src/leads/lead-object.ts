import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { SubscribeRequest, SubscribeResult, TransitionRequest, TransitionResult } from "./types";

// Owns one lead's status (issue 4; being implemented).
export class LeadObject extends DurableObject<Env> {
  async transition(_req: TransitionRequest): Promise<TransitionResult> {
    throw new Error("LeadObject.transition is not implemented yet");
  }

  async subscribe(_req: SubscribeRequest): Promise<SubscribeResult> {
    throw new Error("LeadObject.subscribe is not implemented yet");
  }
}
