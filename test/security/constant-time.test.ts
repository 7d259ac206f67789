import { describe, expect, it } from "vitest";
import { timingSafeEqual } from "../../src/auth/crypto";

// Secrets (API keys, webhook keys, signatures, codes, token and password hashes) are compared with
// timingSafeEqual from src/auth/crypto.ts, never with === or !==. This scans the source for a
// comparison operator next to a name that holds a secret, so a regression fails here.
declare global {
  // Vite's import.meta.glob (resolved at transform time, so the files are read in Node).
  interface ImportMeta {
    glob(pattern: string, options: { query: string; import: string; eager: true }): Record<string, unknown>;
  }
}
const sources = import.meta.glob("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

const SECRET_NAME = /(api_?key|apikey|secret|signature|sig|expected|code_?hash|password_?hash|token|mfa_?code|webhook_?key)\b/i;
const COMPARISON = /([\w.$\]\)!]+)\s*(===|!==|==|!=)\s*([\w.$\[\(]+)/g;
// Comparisons with literals or null-ish values reveal nothing about a secret's content.
const HARMLESS = /^(null|undefined|true|false|""|''|\d+|typeof)$/;
// Reviewed:
// - the configured JWT secret against the demo key, a public constant (a timing difference could
//   only tell how much of the secret equals a published string);
// - a token's audience claim against our public audiences, only to pick the check that verifies it;
// - a word's length in the profanity matcher, where "token" means a word of the lead's text;
// - an integration delivery's claim token against the one this call wrote: a random nonce of our own,
//   never sent to or taken from a caller, that only tells a claim its own lease (src/integrations/dispatch.ts).
const REVIEWED = [
  "secret === LOCAL_DEMO_JWT_SECRET",
  "value === LOCAL_DEMO_JWT_SECRET",
  "refreshToken) !== REFRESH_AUDIENCE",
  "token) === ACCESS_AUDIENCE",
  "token.length !== word.length",
  "r.claim_token === token",
];

function offending(path: string, text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (/^\s*(\/\/|\*)/.test(line)) return;
    for (const m of line.matchAll(COMPARISON)) {
      const [, left, , right] = m as unknown as [string, string, string, string];
      if (HARMLESS.test(left) || HARMLESS.test(right) || right.startsWith('"') || right.startsWith("'")) continue;
      if (REVIEWED.includes(m[0])) continue;
      if (SECRET_NAME.test(left) || SECRET_NAME.test(right)) out.push(`${path}:${i + 1}: ${line.trim()}`);
    }
  });
  return out;
}

describe("constant-time comparison of secrets", () => {
  it("the scan sees the code base and would catch a plain comparison", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    expect(offending("x.ts", "if (row.apiKey === key) ok();")).toHaveLength(1);
    expect(offending("x.ts", "if (!timingSafeEqual(row.apiKey, key)) fail();")).toHaveLength(0);
  });

  it("no source file compares a secret with === or !==", () => {
    const found = Object.entries(sources).flatMap(([path, text]) => offending(path, text));
    expect(found).toEqual([]);
  });

  it("timingSafeEqual itself is correct for equal, different and different-length inputs", () => {
    expect(timingSafeEqual("0c463164f0d4fcb604d8fd9f80737476", "0c463164f0d4fcb604d8fd9f80737476")).toBe(true);
    expect(timingSafeEqual("0c463164f0d4fcb604d8fd9f80737476", "0c463164f0d4fcb604d8fd9f80737477")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("abcd", "abc")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("é", "e\u0301")).toBe(false);
  });
});
