import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, wholeNumber } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, q, qList } from "./lib/outcome";

const configSchema = z.strictObject({
  // Convertr checks "the fields configured"; by default the contact details a person types in
  // (hidden flags such as opt-ins legitimately share values like "1" or "yes").
  fields: fieldList(2).default([
    "firstName",
    "lastName",
    "email",
    "telephone",
    "companyName",
    "jobTitle",
    "addressLine1",
    "postcode",
  ]),
  /** Fail when the same value appears in this many fields or more. */
  count: wholeNumber(2, 100).default(3),
});

const normalise = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

export const repeatedValueCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "repeated_value_check",
  catalogueId: null,
  name: "Repeated Value Check",
  configSchema,
  run(lead, config) {
    const byValue = new Map<string, { value: string; fields: string[] }>();
    for (const { field, value } of selectFields(lead, { fields: config.fields })) {
      if (isBlank(value)) continue;
      const key = normalise(value!);
      const entry = byValue.get(key) ?? { value: value!.trim(), fields: [] };
      entry.fields.push(field);
      byValue.set(key, entry);
    }
    for (const { value, fields } of byValue.values()) {
      if (fields.length >= config.count) return fail(`The value ${q(value)} is repeated in ${fields.length} fields: ${qList(fields)}`);
    }
    return pass(`No value repeated in ${config.count} or more fields`);
  },
};
