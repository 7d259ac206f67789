// Regular expressions that admins type into a value transform's find/replace run on every lead of
// their campaigns, so a pattern that backtracks catastrophically would stall the Processr. The
// engine (V8's irregexp) backtracks, so instead of trusting patterns we accept only a shape whose
// work stays polynomial and small on a bounded input:
// - no back-references or lookaround (they defeat any bound);
// - no quantifier on a group that itself holds a quantifier or an alternation ("(a+)+", "(a|aa)*":
//   the exponential cases);
// - at most MAX_VARIABLE_QUANTIFIERS quantifiers that match a variable number of times (each one
//   multiplies the work by the input length), with {n,m} ranges up to MAX_RANGE;
// - at most MAX_ALTERNATIONS "|" (each doubles the work in the worst case);
// and the value a pattern runs on is at most MAX_REGEX_INPUT characters (longer values are left alone).

export const MAX_PATTERN_LENGTH = 200;
export const MAX_REGEX_INPUT = 256;
const MAX_VARIABLE_QUANTIFIERS = 2;
const MAX_ALTERNATIONS = 4;
const MAX_RANGE = 32;

/** Why a pattern is refused, or null when it is accepted (and compiles with the flags). */
export function unsafeRegexReason(pattern: string, flags: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `The pattern is longer than ${MAX_PATTERN_LENGTH} characters.`;
  try {
    new RegExp(pattern, flags);
  } catch (e) {
    return `The pattern is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`;
  }
  // One frame per open group: whether it holds a quantifier or an alternation so far.
  const groups: { risky: boolean }[] = [{ risky: false }];
  let variable = 0;
  let alternations = 0;
  // Whether the last atom was a group that holds a quantifier or an alternation.
  let lastGroupRisky = false;
  let i = 0;
  const quantifierAt = (at: number): { length: number; variable: boolean; max: number } | null => {
    const ch = pattern[at];
    if (ch === "*" || ch === "+") return { length: 1, variable: true, max: Infinity };
    if (ch === "?") return { length: 1, variable: true, max: 1 };
    if (ch !== "{") return null;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    return { length: m[0].length, variable: max !== min, max };
  };
  while (i < pattern.length) {
    const ch = pattern[i]!;
    let atomIsGroup = false;
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "Back-references are not allowed.";
      i += 2;
    } else if (ch === "[") {
      // A character class is one atom: skip to its closing bracket.
      i++;
      if (pattern[i] === "^") i++;
      if (pattern[i] === "]") i++;
      while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
      i++;
    } else if (ch === "(") {
      if (/^\(\?(?:=|!|<=|<!)/.test(pattern.slice(i))) return "Lookahead and lookbehind are not allowed.";
      groups.push({ risky: false });
      const named = /^\(\?(?::|<[A-Za-z_$][\w$]*>)/.exec(pattern.slice(i));
      i += named ? named[0].length : 1;
      continue;
    } else if (ch === ")") {
      const closed = groups.pop()!;
      lastGroupRisky = closed.risky;
      atomIsGroup = true;
      // What a group holds, the group around it holds too.
      if (closed.risky) groups[groups.length - 1]!.risky = true;
      i++;
    } else if (ch === "|") {
      if (++alternations > MAX_ALTERNATIONS) return `At most ${MAX_ALTERNATIONS} alternatives ("|") are allowed.`;
      groups[groups.length - 1]!.risky = true;
      i++;
      continue;
    } else {
      i++;
    }
    const q = quantifierAt(i);
    if (!q) continue;
    if (atomIsGroup && lastGroupRisky) return "A repeated group may not contain a quantifier or an alternation (nested repetition).";
    if (q.max !== Infinity && q.max > MAX_RANGE) return `A repetition range may not exceed {${MAX_RANGE}}.`;
    if (q.variable && ++variable > MAX_VARIABLE_QUANTIFIERS) {
      return `At most ${MAX_VARIABLE_QUANTIFIERS} variable repetitions (*, +, ?, {n,m}) are allowed.`;
    }
    groups[groups.length - 1]!.risky = true;
    i += q.length;
    // A lazy or possessive-looking suffix belongs to the same quantifier.
    if (pattern[i] === "?") i++;
  }
  return null;
}
