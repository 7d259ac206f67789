import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, wholeNumber } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, plural, qList } from "./lib/outcome";

const configSchema = z.strictObject({
  /** Only these fields (a field not captured counts as empty); by default every captured field. */
  fields: fieldList().optional(),
  // Further address lines are optional by nature.
  ignoredFields: fieldList().default(["addressLine2", "addressLine3", "addressLine4"]),
  /** Fail when this many fields or more are empty. */
  count: wholeNumber(1, 100).default(3),
});

export const multipleEmptyFieldsCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "multiple_empty_fields_check",
  catalogueId: 1011,
  name: "Multiple Empty Fields Check",
  configSchema,
  run(lead, config) {
    const empty = selectFields(lead, { fields: config.fields, ignored: config.ignoredFields })
      .filter((fv) => isBlank(fv.value))
      .map((fv) => fv.field);
    if (empty.length >= config.count) return fail(`${plural(empty.length, "field is", "fields are")} empty: ${qList(empty)}`);
    return pass(`${plural(empty.length, "empty field")}, fewer than ${config.count}`);
  },
};
