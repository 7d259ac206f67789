import { Hono } from "hono";
import { z } from "zod";
import { authenticate, requireAdmin } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { integrationJobs } from "../../integrations";
import { ld } from "../../hydra/jsonld";
import { qaJobs } from "../../processr/jobs";

// GET /api/v4/processr-job-types: every job type a campaign can add (QA checks and integrations),
// each with the JSON Schema of its config as zod emits it from the schema the API validates with,
// so the console's Add Job form is generated from the same rules and never drifts from them.
// The input side (what a caller sends: defaulted settings optional), with each setting's default
// taken from the output side, because zod's input form drops a default that wraps a transform
// (our comma-list and digit-string settings).

type JsonSchema = { properties?: Record<string, Record<string, unknown>> } & Record<string, unknown>;

const emit = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;

function jsonSchema(schema: z.ZodType): JsonSchema {
  const input = emit(schema, "input");
  const output = emit(schema, "output").properties ?? {};
  for (const [name, prop] of Object.entries(input.properties ?? {})) {
    const fromOutput = Object.hasOwn(output, name) ? output[name] : undefined;
    if (!("default" in prop) && fromOutput && "default" in fromOutput) prop.default = fromOutput.default;
  }
  return input;
}

/** Built once per isolate: the registries are static. */
let cache: Record<string, unknown>[] | null = null;

function jobTypes() {
  cache ??= [...Object.values(qaJobs), ...Object.values(integrationJobs)]
    .map((d) => ({
      "@type": "ProcessrJobType",
      type: d.type,
      name: d.name,
      kind: d.kind,
      catalogueId: d.catalogueId,
      configSchema: jsonSchema(d.configSchema),
    }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return cache;
}

export const processrJobTypes = new Hono<AppEnv>();

processrJobTypes.get("/processr-job-types", authenticate(), requireAdmin, (c) => {
  const member = jobTypes();
  return ld(c, {
    "@id": "/api/v4/processr-job-types",
    "@type": "hydra:Collection",
    "hydra:member": member,
    "hydra:totalItems": member.length,
  });
});
