import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldName } from "./lib/config";
import { fieldValue, isBlank } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";

const configSchema = z.strictObject({ field: fieldName });

export const fieldNotEmpty: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "field_not_empty",
  catalogueId: 1109,
  name: "Lead Field Not Empty",
  configSchema,
  run(lead, config) {
    const { field, value } = fieldValue(lead, config.field);
    if (value === undefined) return fail(`${q(config.field)} was not captured`);
    if (isBlank(value)) return fail(`${q(field)} is empty`);
    return pass(`${q(field)} has a value`);
  },
};
