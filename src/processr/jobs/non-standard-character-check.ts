import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, wholeNumber } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, plural, pass, q } from "./lib/outcome";

// Convertr's list of non-standard characters (Convertr's Processr job documentation).
export const DEFAULT_NON_STANDARD_CHARACTERS = "^$%!}{*#?><=+_\\/";

const configSchema = z.strictObject({
  // URLs are full of "/", "?", "=" and "_", so they are excluded by default.
  excludedFields: fieldList().default(["website", "url"]),
  characters: z.string().min(1).max(100).default(DEFAULT_NON_STANDARD_CHARACTERS),
  /** A field fails when it holds more than this many of the characters. */
  max: wholeNumber(0, 100).default(3),
});

export const nonStandardCharacterCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "non_standard_character_check",
  catalogueId: 1006,
  name: "Non Standard Character Check",
  configSchema,
  run(lead, config) {
    const set = new Set([...config.characters]);
    for (const { field, value } of selectFields(lead, { ignored: config.excludedFields })) {
      if (isBlank(value)) continue;
      const found = [...value!].filter((c) => set.has(c));
      if (found.length > config.max) {
        return fail(`${q(field)} has ${plural(found.length, "non-standard character")} (${q(found.join(""))}), more than ${config.max}`);
      }
    }
    return pass(`No field has more than ${plural(config.max, "non-standard character")}`);
  },
};
