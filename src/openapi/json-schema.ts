import { z } from "zod";

// JSON Schemas for the OpenAPI document, emitted by zod 4 from the very schemas the routes
// validate with (requests, io "input": what a caller may send) or type their answers with
// (responses, io "output": exactly what comes back; objects are closed, so an undocumented field
// in a live answer fails the example test). Every schema is a named component; schemas that
// contain each other refer to one another by $ref.

const COMPONENTS = "#/components/schemas/";

/** zod writes these bounds on every integer; they say nothing a reader needs. */
const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    // A component's own dialect and id come from the document (OpenAPI 3.1's jsonSchemaDialect).
    if (k === "$schema" || k === "$id") continue;
    if ((k === "minimum" && v === -SAFE_BOUND) || (k === "maximum" && v === SAFE_BOUND)) continue;
    out[k] = tidy(v);
  }
  return out;
}

/** Component schemas, by name, for one direction. */
export function componentSchemas(io: "input" | "output", named: Record<string, z.ZodType>): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, target: "draft-2020-12", uri: (id) => `${COMPONENTS}${id}` });
  // zod gathers an unnamed recursive schema under "__shared", whose $refs OpenAPI cannot resolve.
  if (Object.hasOwn(schemas, "__shared")) throw new Error("OpenAPI: give every recursive schema a component name");
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, tidy(s)]));
}

export const ref = (name: string) => ({ $ref: `${COMPONENTS}${name}` });
