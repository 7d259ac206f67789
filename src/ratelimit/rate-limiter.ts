import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

// Sliding-window limiter, one object per key (issue 7).
export class RateLimiter extends DurableObject<Env> {}
