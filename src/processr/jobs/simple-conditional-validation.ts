import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldName, stringList } from "./lib/config";
import { fieldValue, isBlank } from "./lib/fields";
import { fail, pass, q, qList } from "./lib/outcome";

export const OPERATORS = [
  "STARTSWITH",
  "ENDSWITH",
  "CONTAINS",
  "EXISTS",
  "GREATERTHAN",
  "LESSTHAN",
  "EQUAL",
  "NOTEQUAL",
] as const;
type Operator = (typeof OPERATORS)[number];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const asNumber = (s: string) => (NUMBER.test(s.trim()) ? Number(s.trim()) : undefined);

const configSchema = z
  .strictObject({
    field: fieldName,
    operator: z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : v), z.enum(OPERATORS)),
    // Up to 200 values, as Convertr allows; a comma-separated string is split like its import.
    values: stringList({ min: 1, max: 200 }),
  })
  .superRefine((c, ctx) => {
    if (c.operator !== "GREATERTHAN" && c.operator !== "LESSTHAN") return;
    if (c.values.length !== 1 || asNumber(c.values[0]!) === undefined) {
      ctx.addIssue({ code: "custom", path: ["values"], message: `${c.operator} takes exactly one numeric value` });
    }
  });

const lower = (s: string) => s.toLowerCase();

/** Whether a value is equal to one of the list: numerically when both are numbers, else exactly. */
const equalsAny = (value: string, values: string[]) => {
  const n = asNumber(value);
  return values.some((v) => (n !== undefined && asNumber(v) !== undefined ? n === asNumber(v) : v === value));
};

// What each operator requires of the (trimmed) value; text comparisons ignore case except EQUAL.
const TESTS: Record<Exclude<Operator, "GREATERTHAN" | "LESSTHAN">, (value: string, values: string[]) => boolean> = {
  STARTSWITH: (v, vs) => vs.some((x) => lower(v).startsWith(lower(x))),
  ENDSWITH: (v, vs) => vs.some((x) => lower(v).endsWith(lower(x))),
  CONTAINS: (v, vs) => vs.some((x) => lower(v).includes(lower(x))),
  EXISTS: (v, vs) => vs.some((x) => lower(x) === lower(v)),
  EQUAL: equalsAny,
  NOTEQUAL: (v, vs) => !equalsAny(v, vs),
};

const DESCRIBE: Record<Operator, string> = {
  STARTSWITH: "does not start with",
  ENDSWITH: "does not end with",
  CONTAINS: "does not contain",
  EXISTS: "is not in the list",
  GREATERTHAN: "is not greater than",
  LESSTHAN: "is greater than",
  EQUAL: "is not equal to",
  NOTEQUAL: "is equal to",
};

export const simpleConditionalValidation: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "simple_conditional_validation",
  catalogueId: 1115,
  name: "Simple Conditional Validation",
  configSchema,
  run(lead, config) {
    const { field, value: raw } = fieldValue(lead, config.field);
    const op = config.operator;
    if (isBlank(raw)) {
      // An empty value equals none of the values; every other operator needs a value.
      if (op === "NOTEQUAL") return pass(`${q(field)} is empty, so not equal to any value`);
      return fail(`${q(field)} is empty`);
    }
    const value = raw!.trim();
    const list = config.values;
    let ok: boolean;
    if (op === "GREATERTHAN" || op === "LESSTHAN") {
      const n = asNumber(value);
      if (n === undefined) return fail(`${q(field)} is not a number: ${q(value)}`);
      const limit = asNumber(list[0]!)!;
      ok = op === "GREATERTHAN" ? n > limit : n <= limit;
    } else {
      ok = TESTS[op](value, list);
    }
    const shown = list.length > 5 ? `${qList(list.slice(0, 5))} … (${list.length} values)` : qList(list);
    if (!ok) return fail(`${q(field)} ${q(value)} ${DESCRIBE[op]} ${shown}`);
    return pass(`${q(field)} ${q(value)} meets ${op} ${shown}`);
  },
};
