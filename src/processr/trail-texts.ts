// The texts a Processr trail refers to by number instead of repeating them in every run (issue 18:
// the words were most of a trail's bytes). A line's message or detail is stored as the text's id
// when it is one of these texts, as [id, ...values] when it is one of them with each %s filled in
// by a value, and as itself otherwise. The table trail_texts holds the same texts under the same
// ids (migrations), so the views logs and processr_job_leads rebuild the words in SQL with
// printf; test/processr/trail-compact.test.ts checks that the two lists agree.
//
// Append only: an id never changes meaning, since stored trails name it. A new text needs a
// migration adding its row. Texts use %s and no other `%`.

export const TRAIL_TEXTS: readonly string[] = [
  "Processr run started: %s QA job(s).",
  "The job is disabled.",
  "Not run: the hardfail job %s failed.",
  "Not run: job group %s chose %s for this lead (the first of its jobs whose conditions the lead meets).",
  "All %s required fields have a value",
  "Required value missing: %s",
  "Passed duplicate check",
  "Failed duplicate check",
  "Email %s is unique in this campaign",
  "Email %s is a duplicate of %s in this campaign",
  "Email %s is unique from this publisher in this campaign",
  "Email %s is a duplicate of %s from this publisher in this campaign",
  "No test data found",
  "No character repeated %s or more times in a row",
  "First and last name differ",
  "First or last name not captured, nothing to compare",
  "First or last name not captured, nothing to measure",
  "First and last name have %s characters together",
  "%s has a value",
  "%s has %s characters",
  "No email captured, nothing to compare",
  "No email captured, nothing to count",
  "Passed user overactivity check",
  "Failed user overactivity check",
  "No profanity found",
  "No value repeated in %s or more fields",
  "%s empty fields, fewer than %s",
  "%s short values, fewer than %s",
  "No field has more than %s non-standard characters",
  "Every checked field has a vowel",
  "%s looks like a telephone number",
  "No telephone captured, nothing to check",
  "No IP address recorded, nothing to compare",
  "Nothing to check against the validation lists",
  "Passed validation list check",
  "Failed validation list check",
  "Every value matched its value transform",
  "%s is within the period",
  // 39: the Processr's outcome note (view lead_notes), filled in from the note's own columns.
  "Processr outcome %s (%s) by %s.",
];

/**
 * A stored message: a text's id, [id, ...values] for a text with %s, or the message itself. A
 * value that is a short whole number (up to five digits, written as String(n) writes it) is stored
 * as that number (printf gives the same digits back); longer digit strings stay strings, since
 * erasure redacts strings only and leaves numbers of up to five digits in texts anyway.
 */
export type TrailText = number | [number, ...(string | number)[]] | string;

const SHORT_NUMBER = /^(?:0|[1-9]\d{0,4})$/;

// printf in the views passes at most this many values.
export const MAX_TEXT_VALUES = 4;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Each text with its id (1-based, as in trail_texts) and, for those with %s, a matcher whose
// groups are the values: joining the text's pieces and the groups gives the message back exactly.
const MATCHERS = TRAIL_TEXTS.map((text, i) => ({
  id: i + 1,
  text,
  re: text.includes("%s") ? new RegExp(`^${text.split("%s").map(escapeRe).join("(.*?)")}$`, "s") : null,
}));
const BY_TEXT = new Map(MATCHERS.filter((m) => !m.re).map((m) => [m.text, m.id]));

/** The compact form of a message (see TrailText). */
export function encodeText(message: string): TrailText {
  const fixed = BY_TEXT.get(message);
  if (fixed !== undefined) return fixed;
  for (const m of MATCHERS) {
    const values = m.re?.exec(message)?.slice(1);
    if (values && values.length <= MAX_TEXT_VALUES) return [m.id, ...values.map((v) => (SHORT_NUMBER.test(v) ? Number(v) : v))];
  }
  return message;
}

/** The message a stored text stands for, as the views' printf rebuilds it (for trails read outside D1: the archive). */
export function decodeText(t: TrailText | null | undefined): string | null {
  if (t === null || t === undefined || typeof t === "string") return t ?? null;
  if (typeof t === "number") return TRAIL_TEXTS[t - 1] ?? null;
  const [id, ...values] = t;
  let i = 0;
  return TRAIL_TEXTS[id - 1]?.replace(/%s/g, () => String(values[i++] ?? "")) ?? null;
}
