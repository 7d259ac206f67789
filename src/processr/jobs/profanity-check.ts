import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, stringList } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";
import { ProfanityMatcher } from "./lib/profanity-match";
import { PROFANITY_EN } from "./lib/profanity-words";

const configSchema = z.strictObject({
  /** Fields not checked. */
  exclusions: fieldList().default([]),
  /** Words of the built-in list that this campaign accepts (a word, or one form of it). */
  allowed_words: stringList({ max: 200, itemMax: 50 }).default([]),
  /** Words this campaign adds to the built-in list (matched with their inflections too). */
  extra_words: stringList({ max: 200, itemMax: 50 }).default([]),
});

// Matching rules (inflections, obfuscations, whole words only): lib/profanity-match.ts.

export const profanityCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "profanity_check",
  catalogueId: null,
  name: "Profanity Check",
  configSchema,
  run(lead, config) {
    const allowed = new Set(config.allowed_words.map((w) => w.toLowerCase()));
    const matcher = new ProfanityMatcher([...PROFANITY_EN, ...config.extra_words.map((w) => w.toLowerCase())], allowed);
    for (const { field, value } of selectFields(lead, { ignored: config.exclusions })) {
      if (isBlank(value)) continue;
      const hit = matcher.find(value!);
      if (hit) return fail(`${q(field)} contains the profanity ${q(hit)}`);
    }
    return pass("No profanity found");
  },
};
