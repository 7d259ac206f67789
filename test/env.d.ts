import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      TEST_SEED: string[];
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "LeadObject" | "RateLimiter" | "OutboundHostLimiter";
    }
  }
}
