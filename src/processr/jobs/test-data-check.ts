import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";

// "test" as a word: not inside another word ("Celeste", "contest"), but digits, dots and "@" do
// not protect it ("test123", "john.test@example.org").
const TEST_WORD = /(^|[^\p{L}])test(?![\p{L}])/iu;
// Convertr's test postcode, compared without spaces and case.
const TEST_POSTCODE = "AA11AA";

const configSchema = z.strictObject({
  /** Only these fields; by default every captured field. */
  fields: fieldList().optional(),
  ignoredFields: fieldList().default([]),
});

export const testDataCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "test_data_check",
  catalogueId: 1003,
  name: "Test Data Check",
  configSchema,
  run(lead, config) {
    for (const { field, value } of selectFields(lead, { fields: config.fields, ignored: config.ignoredFields })) {
      if (isBlank(value)) continue;
      if (TEST_WORD.test(value!)) return fail(`${q(field)} contains the word "test": ${q(value!)}`);
      if (value!.replace(/\s+/g, "").toUpperCase() === TEST_POSTCODE) {
        return fail(`${q(field)} is the test postcode "AA1 1AA"`);
      }
    }
    return pass("No test data found");
  },
};
