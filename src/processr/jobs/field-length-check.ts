import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldName, wholeNumber } from "./lib/config";
import { fieldValue } from "./lib/fields";
import { fail, pass, plural, q } from "./lib/outcome";

const configSchema = z
  .strictObject({
    field: fieldName,
    /** Fewest characters the trimmed value may have. */
    minLength: wholeNumber(1, 10_000),
    /** Optional upper bound. */
    maxLength: wholeNumber(1, 10_000).optional(),
  })
  .refine((c) => c.maxLength === undefined || c.maxLength >= c.minLength, {
    message: "maxLength must not be below minLength",
    path: ["maxLength"],
  });

export const fieldLengthCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "field_length_check",
  catalogueId: 1116,
  name: "Length Check",
  configSchema,
  run(lead, config) {
    const { field, value } = fieldValue(lead, config.field);
    const n = [...(value ?? "").trim()].length;
    if (n < config.minLength) {
      return fail(`${q(field)} has ${plural(n, "character")}, fewer than ${config.minLength}${value === undefined ? " (not captured)" : ""}`);
    }
    if (config.maxLength !== undefined && n > config.maxLength) {
      return fail(`${q(field)} has ${plural(n, "character")}, more than ${config.maxLength}`);
    }
    return pass(`${q(field)} has ${plural(n, "character")}`);
  },
};
