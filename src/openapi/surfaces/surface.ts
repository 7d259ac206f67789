import type { z } from "zod";
import type { OperationSpec } from "../operation";

/** One surface of the reference: its tag, operations and the zod schemas they name. */
export interface Surface {
  tag: { name: string; description: string };
  operations: OperationSpec[];
  /** Request body schemas by component name (emitted as accepted input). */
  requests: Record<string, z.ZodType>;
  /** Response body schemas by component name (emitted as produced output). */
  responses: Record<string, z.ZodType>;
  /** Requests this instance sends (OpenAPI's top-level webhooks), by name. */
  webhooks?: Record<string, unknown>;
}
