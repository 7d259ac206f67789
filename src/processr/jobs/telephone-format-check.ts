import { z } from "zod";
import { PHONE_FORMATTING } from "../../lists/normalise";
import type { QaJobDefinition } from "../types";
import { fieldName, wholeNumber } from "./lib/config";
import { fieldValue, firstPresent, isBlank, TELEPHONE_FIELDS } from "./lib/fields";
import { fail, pass, plural, q } from "./lib/outcome";

const configSchema = z
  .strictObject({
    /** The telephone field; by default the first of telephone, telephone[telephone], phone, mobile. */
    field: fieldName.optional(),
    minDigits: wholeNumber(1, 20).default(10),
    maxDigits: wholeNumber(1, 20).default(15),
    /** Fail on a run of this many identical digits ("00000000"). */
    repeatedDigits: wholeNumber(2, 20).default(8),
    /** Fail on a run of this many ascending or descending digits ("12345678", "98765432"). */
    sequentialDigits: wholeNumber(3, 20).default(8),
  })
  .refine((c) => c.minDigits <= c.maxDigits, { message: "minDigits must not exceed maxDigits", path: ["minDigits"] });

/** The longest run of digits stepping by `step` (0 = repeated, ±1 = sequential). */
function longestRun(digits: string, step: number): { start: number; length: number } {
  let best = { start: 0, length: digits.length > 0 ? 1 : 0 };
  let start = 0;
  for (let i = 1; i <= digits.length; i++) {
    const continues = i < digits.length && Number(digits[i]) - Number(digits[i - 1]) === step;
    if (!continues) {
      if (i - start > best.length) best = { start, length: i - start };
      start = i;
    }
  }
  return best;
}

export const telephoneFormatCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "telephone_format_check",
  catalogueId: null,
  name: "Telephone Format Check",
  configSchema,
  run(lead, config) {
    const fv = config.field ? fieldValue(lead, config.field) : firstPresent(lead, TELEPHONE_FIELDS);
    // A missing number is the Required Value Check's business.
    if (!fv || isBlank(fv.value)) return pass("No telephone captured, nothing to check");
    const { field } = fv;
    const value = fv.value!.trim();
    if (!PHONE_FORMATTING.test(value)) return fail(`${q(field)} has characters other than digits: ${q(value)}`);
    const digits = value.replace(/\D/g, "");
    if (digits.length < config.minDigits) return fail(`${q(field)} has ${plural(digits.length, "digit")}, fewer than ${config.minDigits}`);
    if (digits.length > config.maxDigits) return fail(`${q(field)} has ${plural(digits.length, "digit")}, more than ${config.maxDigits}`);
    const repeated = longestRun(digits, 0);
    if (repeated.length >= config.repeatedDigits) {
      return fail(`${q(field)} has the digit "${digits[repeated.start]}" repeated ${repeated.length} times`);
    }
    for (const step of [1, -1]) {
      const run = longestRun(digits, step);
      if (run.length >= config.sequentialDigits) {
        return fail(`${q(field)} has ${run.length} sequential digits "${digits.slice(run.start, run.start + run.length)}"`);
      }
    }
    return pass(`${q(field)} looks like a telephone number`);
  },
};
