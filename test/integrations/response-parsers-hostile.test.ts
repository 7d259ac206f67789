import { describe, expect, it } from "vitest";
import { HOSTILE_RESPONSES, HOSTILE_SIZE } from "../../bench/hostile-responses";
import { extractResponseValue, MAX_NESTING, parseXml, ResponseParseError } from "../../src/integrations/response-parsers";

// Every response parser on one-megabyte hostile bodies: each call returns (a value, null or a
// ResponseParseError) instead of backtracking for hours or overflowing the stack. How long they
// take is printed by `npm run bench` (scripts/bench-parsers.mjs), not asserted here.

const outcome = (name: string) => {
  const c = HOSTILE_RESPONSES.find((h) => h.name === name)!;
  const body = c.body();
  expect(body.length).toBeGreaterThan(HOSTILE_SIZE - 16);
  expect(body.length).toBeLessThanOrEqual(HOSTILE_SIZE);
  try {
    return { value: extractResponseValue(c.type, body, c.key) };
  } catch (e) {
    if (!(e instanceof ResponseParseError)) throw e;
    return { error: e.message };
  }
};

describe("response parsers on one-megabyte hostile bodies", () => {
  it("TEXT: an entry without a separator and with a megabyte of inner spaces is not a match", () => {
    expect(outcome("TEXT: one entry, a megabyte of inner spaces")).toEqual({ value: null });
  });

  it("TEXT: a key followed by a megabyte of spaces and then the separator is still found", () => {
    expect(outcome("TEXT: spaces before a late separator")).toEqual({ value: "ok" });
  });

  it("TEXT: half a million entries without a separator", () => {
    expect(outcome("TEXT: 500,000 entries without a separator")).toEqual({ value: null });
  });

  it(`XML: nesting past ${MAX_NESTING} levels is refused, not walked recursively`, () => {
    expect(outcome("XML: elements nested 100,000 deep")).toEqual({ error: `Elements are nested more than ${MAX_NESTING} deep.` });
  });

  it("XML: an unclosed comment and an endless start tag are malformed", () => {
    expect(outcome("XML: an unclosed comment")).toEqual({ error: "Malformed XML: stray '<'." });
    expect(outcome("XML: a start tag of attributes that never closes")).toEqual({ error: "Malformed XML: stray '<'." });
  });

  it("XML: a wide document and long runs of character references are read", () => {
    expect(outcome("XML: 200,000 sibling elements")).toEqual({ value: "7" });
    expect(outcome("XML: entity-like runs")?.value?.length).toBeGreaterThan(100_000);
  });

  it(`JSON: a value nested past ${MAX_NESTING} levels is refused, not serialised recursively`, () => {
    expect(outcome("JSON: arrays nested 500,000 deep")).toEqual({ error: `The response value is nested more than ${MAX_NESTING} deep.` });
    const ok = `{"a":${"[".repeat(MAX_NESTING)}7${"]".repeat(MAX_NESTING)}}`;
    expect(extractResponseValue("JSON", ok, "a")).toBe(`${"[".repeat(MAX_NESTING)}7${"]".repeat(MAX_NESTING)}`);
  });

  it(`XML: exactly ${MAX_NESTING} levels are still read`, () => {
    const doc = `${"<a>".repeat(MAX_NESTING - 1)}<leadId>5</leadId>${"</a>".repeat(MAX_NESTING - 1)}`;
    expect(parseXml(doc).children).toHaveLength(1);
    expect(extractResponseValue("XML", doc, "leadId")).toBe("5");
  });
});
