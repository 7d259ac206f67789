import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { leadNames, nameFieldsSchema } from "./lib/names";
import { fail, pass, q } from "./lib/outcome";

const configSchema = z.strictObject({ ...nameFieldsSchema });

const normalise = (s: string) => s.replace(/\s+/g, " ").toLowerCase();

export const firstLastNameCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "first_last_name_check",
  catalogueId: 1004,
  name: "First and Last Name Check",
  configSchema,
  run(lead, config) {
    const names = leadNames(lead, config);
    if (!names) return pass("First or last name not captured, nothing to compare");
    const { first, last } = names;
    if (normalise(first.value) === normalise(last.value)) {
      return fail(`${q(first.field)} and ${q(last.field)} are the same: ${q(first.value)}`);
    }
    return pass("First and last name differ");
  },
};
