import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, wholeNumber } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, plural, qList } from "./lib/outcome";

const configSchema = z.strictObject({
  /** Only these fields; by default every captured field not in ignoredFields. */
  fields: fieldList().optional(),
  // Fields whose values are short by nature ("Mr", "44", "UK", "CA").
  ignoredFields: fieldList().default(["title", "salutation", "countryCode", "country", "state", "gender"]),
  /** A value shorter than this many characters is short. */
  minLength: wholeNumber(2, 100).default(4),
  /** Fail when this many fields or more have short values. */
  count: wholeNumber(1, 100).default(3),
});

export const multipleShortValuesCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "multiple_short_values_check",
  catalogueId: null,
  name: "Multiple Short Values Check",
  configSchema,
  run(lead, config) {
    // Empty values are the Multiple Empty Fields Check's business, not short ones.
    const short = selectFields(lead, { fields: config.fields, ignored: config.ignoredFields })
      .filter((fv) => !isBlank(fv.value) && [...fv.value!.trim()].length < config.minLength)
      .map((fv) => fv.field);
    if (short.length >= config.count) {
      return fail(`${plural(short.length, "field has a value", "fields have values")} shorter than ${config.minLength} characters: ${qList(short)}`);
    }
    return pass(`${plural(short.length, "short value")}, fewer than ${config.count}`);
  },
};
