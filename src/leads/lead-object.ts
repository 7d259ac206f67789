import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

// Owns one lead's status (issue 4).
export class LeadObject extends DurableObject<Env> {}
