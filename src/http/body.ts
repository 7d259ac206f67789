import type { Context } from "hono";
import { ApiError } from "../errors";
import { readLimited } from "./read-limited";

// Bodies larger than this are refused before parsing (lead capture has its own, smaller limits).
export const MAX_BODY_BYTES = 64 * 1024;

export type BodyKind = "json" | "form";

const DECIMAL = /^[0-9]+$/;

export function bodyKind(c: Context): BodyKind | null {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) return "json";
  if (type === "application/x-www-form-urlencoded" || type === "x-www-form-urlencoded" || type === "multipart/form-data")
    return "form";
  return null;
}

/** Reads the raw body as UTF-8 text with a size limit (413 past it), whatever Content-Length claims. */
export async function readBodyText(c: Context, limit = MAX_BODY_BYTES): Promise<string> {
  return decodeUtf8(await readBodyBytes(c, limit));
}

/**
 * A flat body of string fields from JSON, url-encoded or multipart data. Non-string JSON values
 * and repeated keys are refused rather than guessed at.
 */
export async function readFlatFields(c: Context, limit = MAX_BODY_BYTES): Promise<Record<string, string>> {
  const kind = bodyKind(c);
  if (kind === null) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      "Content-Type must be application/json, application/x-www-form-urlencoded or multipart/form-data.",
    );
  }
  const type = (c.req.header("Content-Type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    const form = await parseMultipart(c.req.header("Content-Type")!, await readBodyBytes(c, limit));
    return fromPairs([...form.entries()].map(([k, v]) => [k, typeof v === "string" ? v : null]));
  }
  const text = await readBodyText(c, limit);
  if (kind === "json") {
    let parsed: unknown;
    try {
      parsed = parseJsonStrict(text);
    } catch {
      throw new ApiError("BAD_REQUEST", "Request body is not valid JSON.");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ApiError("BAD_REQUEST", "Request body must be a JSON object.");
    }
    return fromPairs(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : typeof v === "number" ? String(v) : null]),
    );
  }
  return fromPairs(decodeUrlEncoded(text));
}

/** Strict application/x-www-form-urlencoded decoding: malformed percent-encoding is a 400. */
export function decodeUrlEncoded(text: string): [string, string][] {
  if (text === "") return [];
  return text.split("&").filter(Boolean).map((pair) => {
    const eq = pair.indexOf("=");
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? "" : pair.slice(eq + 1);
    try {
      return [decodeURIComponent(rawKey.replace(/\+/g, " ")), decodeURIComponent(rawValue.replace(/\+/g, " "))];
    } catch {
      throw new ApiError("BAD_REQUEST", "Malformed percent-encoding in request body.");
    }
  });
}

function fromPairs(pairs: [string, string | null][]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of pairs) {
    if (v === null) throw new ApiError("BAD_REQUEST", `Field "${k}" must be a string.`);
    if (k in out) throw new ApiError("BAD_REQUEST", `Field "${k}" is given more than once.`);
    out[k] = v;
  }
  return out;
}

/**
 * The raw body bytes with a size limit (413 past it), whatever Content-Length claims: a declared
 * length over the limit is refused unread, and a body without one (chunked) is read from its stream
 * only up to the limit, then cancelled.
 */
export async function readBodyBytes(c: Context, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const tooLarge = () => new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds ${limit} bytes.`);
  const declared = c.req.header("Content-Length");
  if (Number(declared ?? "0") > limit) throw tooLarge();
  if (declared !== undefined && DECIMAL.test(declared)) {
    // A received body ends at its declared length (HTTP framing), here within the limit: read whole
    // in one call, cheaper than a reader's loop. A Request built in code may carry more than it
    // declares, hence the check after.
    const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
    if (bytes.byteLength > limit) throw tooLarge();
    return bytes;
  }
  const { bytes, truncated } = await readLimited(c.req.raw.body, limit);
  if (truncated) throw tooLarge();
  return bytes;
}

/** multipart/form-data from bytes already read within the limit; 400 when malformed. */
export async function parseMultipart(contentType: string, bytes: Uint8Array): Promise<FormData> {
  try {
    return await new Response(bytes, { headers: { "Content-Type": contentType } }).formData();
  } catch {
    throw new ApiError("BAD_REQUEST", "Malformed multipart body.");
  }
}

// One decoder for every body: a decode() call without { stream: true } starts afresh, so nothing
// of one body (or of its failure) carries over to the next.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Strict UTF-8 decoding: invalid byte sequences are a 400, never replaced. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ApiError("BAD_REQUEST", "Request body is not valid UTF-8.");
  }
}

/**
 * JSON.parse that refuses duplicate object keys (JSON.parse silently keeps the last one, which
 * would let two clients read the same body differently). Throws 400 on any syntax error.
 */
export function parseJsonStrict(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError("BAD_REQUEST", "Request body is not valid JSON.");
  }
  const dup = findDuplicateJsonKey(text);
  if (dup !== null) throw new ApiError("BAD_REQUEST", `Key "${dup}" is given more than once.`);
  return value;
}

// Scans syntactically valid JSON text (already checked by JSON.parse) for a repeated key in one object.
function findDuplicateJsonKey(text: string): string | null {
  const stack: (Set<string> | null)[] = []; // one entry per open container; null for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === "[") {
      stack.push(null);
      expectKey = false;
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = stack.at(-1) instanceof Set;
    } else if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const keys = stack.at(-1)!;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return null;
}
