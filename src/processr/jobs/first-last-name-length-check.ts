import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { wholeNumber } from "./lib/config";
import { leadNames, nameFieldsSchema } from "./lib/names";
import { fail, pass, q } from "./lib/outcome";

const configSchema = z.strictObject({
  ...nameFieldsSchema,
  /** Fewest characters the two names may have together (spaces inside a name not counted). */
  minLength: wholeNumber(2, 100).default(4),
});

const letters = (s: string) => [...s.replace(/\s+/g, "")].length;

export const firstLastNameLengthCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "first_last_name_length_check",
  catalogueId: null,
  name: "First and Last Name Length Check",
  configSchema,
  run(lead, config) {
    const names = leadNames(lead, config);
    if (!names) return pass("First or last name not captured, nothing to measure");
    const { first, last } = names;
    const n = letters(first.value) + letters(last.value);
    if (n < config.minLength) {
      return fail(
        `${q(first.field)} and ${q(last.field)} have ${n} characters together (${q(first.value)} ${q(last.value)}), fewer than ${config.minLength}`,
      );
    }
    return pass(`First and last name have ${n} characters together`);
  },
};
