import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { decodeUtf8 } from "../../src/http/body";
import { readLimited } from "../../src/http/read-limited";

const bytes = (...b: number[]) => new Uint8Array(b);
const refused = (b: Uint8Array) => {
  try {
    decodeUtf8(b);
  } catch (e) {
    return e instanceof ApiError ? e.message : `not an ApiError: ${String(e)}`;
  }
  return "decoded";
};

// One strict decoder serves every body (src/http/body.ts): nothing of one body may reach the next.
describe("decodeUtf8", () => {
  it("decodes UTF-8 and refuses invalid bytes with a 400", () => {
    expect(decodeUtf8(new TextEncoder().encode("form[firstName]=Zoë"))).toBe("form[firstName]=Zoë");
    expect(refused(bytes(0x66, 0xff, 0x67))).toBe("Request body is not valid UTF-8.");
  });

  it("never completes a body's unfinished character with the next body's bytes", () => {
    // 0xC3 0xA9 is "é": split across two bodies, each half on its own is invalid.
    expect(refused(bytes(0x61, 0xc3))).toBe("Request body is not valid UTF-8.");
    expect(refused(bytes(0xa9, 0x62))).toBe("Request body is not valid UTF-8.");
    expect(decodeUtf8(bytes(0xc3, 0xa9))).toBe("é");
  });

  it("decodes a valid body right after a refused one, and keeps a body's leading BOM out", () => {
    expect(refused(bytes(0xed, 0xa0, 0x80))).toBe("Request body is not valid UTF-8.");
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x61))).toBe("a");
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x62))).toBe("b");
    expect(decodeUtf8(bytes(0x61, 0x62))).toBe("ab");
  });
});

const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });

describe("readLimited", () => {
  it("returns a one-chunk body's bytes, and several chunks joined in order", async () => {
    expect(await readLimited(streamOf(bytes(1, 2, 3)), 10)).toEqual({ bytes: bytes(1, 2, 3), truncated: false });
    expect(await readLimited(streamOf(bytes(1), bytes(2, 3), bytes(4)), 10)).toEqual({ bytes: bytes(1, 2, 3, 4), truncated: false });
    expect(await readLimited(null, 10)).toEqual({ bytes: bytes(), truncated: false });
  });

  it("keeps at most the limit, from one chunk or several, and says the body was longer", async () => {
    const one = await readLimited(streamOf(bytes(1, 2, 3, 4, 5)), 3);
    expect(one).toEqual({ bytes: bytes(1, 2, 3), truncated: true });
    expect(one.bytes.byteLength).toBe(3);
    expect(await readLimited(streamOf(bytes(1, 2), bytes(3, 4)), 3)).toEqual({ bytes: bytes(1, 2, 3), truncated: true });
    expect(await readLimited(streamOf(bytes(1, 2, 3)), 3)).toEqual({ bytes: bytes(1, 2, 3), truncated: false });
  });
});
