import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, stringList } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";
import { PROFANITY_EN } from "./lib/profanity-words";

const configSchema = z.strictObject({
  /** Fields not checked. */
  exclusions: fieldList().default([]),
  /** Words of the built-in list that this campaign accepts. */
  allowed_words: stringList({ max: 200, itemMax: 50 }).default([]),
});

// Whole words only, so that "Scunthorpe" or "Cockburn" never match a shorter word inside them.
const WORDS = /\p{L}+/gu;

export const profanityCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "profanity_check",
  catalogueId: null,
  name: "Profanity Check",
  configSchema,
  run(lead, config) {
    const allowed = new Set(config.allowed_words.map((w) => w.toLowerCase()));
    const words = new Set(PROFANITY_EN.filter((w) => !allowed.has(w)));
    for (const { field, value } of selectFields(lead, { ignored: config.exclusions })) {
      if (isBlank(value)) continue;
      const hit = value!.toLowerCase().match(WORDS)?.find((w) => words.has(w));
      if (hit) return fail(`${q(field)} contains the profanity ${q(hit)}`);
    }
    return pass("No profanity found");
  },
};
