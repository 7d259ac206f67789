import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, wholeNumber } from "./lib/config";
import { isBlank, selectFields } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";

const configSchema = z.strictObject({
  /** Only these fields; by default every captured field not in ignoredFields. */
  fields: fieldList().optional(),
  // Fields that naturally repeat characters ("www.") are left out by default, as Convertr does.
  ignoredFields: fieldList().default(["website", "url"]),
  /** How many times in a row a character must appear to fail. */
  count: wholeNumber(2, 20).default(3),
  /** "letters": only letter runs count (digits repeat in telephones and addresses); "all": any non-space character. */
  characters: z.enum(["letters", "all"]).default("letters"),
});

const LETTER = /\p{L}/u;

/** The first run of `count` identical characters (case-insensitive), if any. */
function findRun(value: string, count: number, lettersOnly: boolean): { char: string; length: number } | undefined {
  const chars = [...value];
  let i = 0;
  while (i < chars.length) {
    let j = i + 1;
    const c = chars[i]!.toLowerCase();
    while (j < chars.length && chars[j]!.toLowerCase() === c) j++;
    const counted = !/\s/u.test(c) && (!lettersOnly || LETTER.test(c));
    if (counted && j - i >= count) return { char: chars[i]!, length: j - i };
    i = j;
  }
  return undefined;
}

export const repeatedCharacterCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "repeated_character_check",
  catalogueId: 1007,
  name: "Repeated Character Check",
  configSchema,
  run(lead, config) {
    const lettersOnly = config.characters === "letters";
    for (const { field, value } of selectFields(lead, { fields: config.fields, ignored: config.ignoredFields })) {
      if (isBlank(value)) continue;
      const run = findRun(value!, config.count, lettersOnly);
      if (run) return fail(`${q(field)} has the character ${q(run.char)} repeated ${run.length} times`);
    }
    return pass(`No character repeated ${config.count} or more times in a row`);
  },
};
