import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList } from "./lib/config";
import { fieldValue, isBlank } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";

// The job cannot see the form's required flags, so it checks the fields it is configured with;
// the default is the three fields every Convertr form captures.
const configSchema = z.strictObject({
  fields: fieldList(1).default(["firstName", "lastName", "email"]),
});

export const requiredValueCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "required_value_check",
  catalogueId: null,
  name: "Required Value Check",
  configSchema,
  run(lead, config) {
    const problems = config.fields.flatMap((name) => {
      const { field, value } = fieldValue(lead, name);
      if (value === undefined) return [`${q(name)} was not captured`];
      return isBlank(value) ? [`${q(field)} is empty`] : [];
    });
    if (problems.length > 0) return fail(`Required value missing: ${problems.join("; ")}`);
    // One field reads as the Field Not Empty Check's pass, never "All 1 required fields".
    if (config.fields.length === 1) return pass(`${q(fieldValue(lead, config.fields[0]!).field)} has a value`);
    return pass(`All ${config.fields.length} required fields have a value`);
  },
};
