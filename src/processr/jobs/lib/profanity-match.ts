// Matching words of a profanity list in captured text: whole words only (so "Scunthorpe" or
// "Shitake" never match), with their inflections and the usual obfuscations:
// - inflections: the list word plus one of SUFFIXES ("fucks", "fucking", "wankers", "bitches");
// - repeated letters count once ("fuuuck");
// - look-alike characters (LEET: "sh1t", "$hit", "b!tch");
// - masked letters: "*" stands for any one letter ("f*ck", "f**k"), as long as the first
//   character is a letter and at most half of the word is masked.
// A token is tried as written (with those rules) and, as before, as its runs of letters alone.

const SUFFIXES = ["", "s", "es", "ed", "d", "ing", "in", "er", "ers", "y", "ings"] as const;
const LEET = new Map([["0", "o"], ["1", "i"], ["3", "e"], ["4", "a"], ["5", "s"], ["7", "t"], ["$", "s"], ["!", "i"], ["|", "i"], ["+", "t"]]);
const TOKEN = /[\p{L}\p{N}*$!|+]+/gu;
const LETTERS = /\p{L}+/gu;

/** Repeated letters once: "fuuuck" → "fuck", "bollocks" → "bolocks". */
const collapse = (w: string) => w.replace(/(\p{L})\1+/gu, "$1");

function sameMasked(token: string, word: string): boolean {
  if (token.length !== word.length) return false;
  for (let i = 0; i < token.length; i++) if (token[i] !== "*" && token[i] !== word[i]) return false;
  return true;
}

export class ProfanityMatcher {
  /** Every inflected form of every word, repeated letters collapsed. */
  private readonly forms = new Set<string>();
  /** The same forms as written, for masked tokens (masks stand for single letters). */
  private readonly written: string[] = [];

  /** words: the list, lower case; allowed: words (or single forms) that never match. */
  constructor(words: Iterable<string>, private readonly allowed: ReadonlySet<string>) {
    for (const w of words) {
      if (allowed.has(w)) continue;
      for (const s of SUFFIXES) {
        const form = w + s;
        if (allowed.has(form)) continue;
        this.forms.add(collapse(form));
        this.written.push(form);
      }
    }
  }

  private matches(token: string): boolean {
    if (this.allowed.has(token) || !/^\p{L}/u.test(token)) return false;
    if (!token.includes("*")) return this.forms.has(collapse(token));
    const masked = [...token].filter((ch) => ch === "*").length;
    return masked * 2 <= token.length && this.written.some((w) => sameMasked(token, w));
  }

  /** The first token of text (as written) that is a profanity, if any. */
  find(text: string): string | undefined {
    for (const raw of text.toLowerCase().match(TOKEN) ?? []) {
      const token = raw.replace(/[!|+]+$/u, "");
      const plain = [...token].map((ch) => LEET.get(ch) ?? ch).join("");
      if (/\p{L}/u.test(token) && this.matches(plain)) return token;
      const hit = token.match(LETTERS)?.find((w) => this.matches(w));
      if (hit) return hit;
    }
    return undefined;
  }
}
