import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { fieldList, wholeNumber } from "./lib/config";
import { fieldValue, isBlank } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";

const configSchema = z.strictObject({
  fields: fieldList(1).default(["firstName", "lastName"]),
  /** Values with fewer Latin letters than this are not checked ("Ng", "Li"). */
  minLetters: wholeNumber(1, 50).default(3),
});

/** Latin letters of a value with accents removed ("Élodie" → "elodie"); other scripts are dropped. */
const latinLetters = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z]/g, "");

// "y" counts as a vowel: "Lynn", "Glyn" are real names.
const VOWEL = /[aeiouy]/;

export const vowelCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "vowel_check",
  catalogueId: null,
  name: "Vowel Check",
  configSchema,
  run(lead, config) {
    for (const name of config.fields) {
      const { field, value } = fieldValue(lead, name);
      if (isBlank(value)) continue;
      const letters = latinLetters(value!);
      if (letters.length >= config.minLetters && !VOWEL.test(letters)) return fail(`${q(field)} has no vowels: ${q(value!)}`);
    }
    return pass("Every checked field has a vowel");
  },
};
