import type { Context } from "hono";
import { ApiError } from "../errors";
import { decodeUrlEncoded, decodeUtf8, parseJsonStrict, parseMultipart, readBodyBytes } from "../http/body";

// The body of a lead capture: `form[field]=…` pairs (url-encoded or multipart, nested brackets
// allowed) or JSON `{"form":{…}}` (nested objects allowed), flattened to field names as Convertr
// stores them: `form[lookup][postcode]` and `{"form":{"lookup":{"postcode":…}}}` both give
// `lookup[postcode]`. Anything ambiguous is refused (400) rather than guessed at.

export const CAPTURE_LIMITS = {
  bodyBytes: 32 * 1024,
  fields: 100,
  nameChars: 100,
  /** Nesting below `form`: `lookup[postcode]` is depth 2. */
  depth: 3,
  valueChars: 1000,
} as const;

export interface CaptureBody {
  /** Submitted values by flattened field name, in submission order (values untrimmed). */
  fields: Map<string, string>;
  /** Top-level keys other than `form`: reported as extra fields by validation. */
  foreign: string[];
}

const bad = (message: string) => new ApiError("BAD_REQUEST", message);

// form[a][b] → root "form", segments ["a","b"]; anything else with brackets is malformed.
const KEY_SYNTAX = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

class Collector {
  readonly fields = new Map<string, string>();
  readonly foreign: string[] = [];
  private readonly containers = new Set<string>();

  add(key: string, segments: string[], value: string) {
    if (segments.length === 0) throw bad(`Field "${key}" must be a group of fields, not a value.`);
    if (segments.length > CAPTURE_LIMITS.depth) throw bad(`Field "${key}" is nested too deeply.`);
    if (segments.some((s) => s === "")) throw bad(`Field "${key}" is an array; a single value is expected.`);
    const name = segments[0] + segments.slice(1).map((s) => `[${s}]`).join("");
    if (name.length > CAPTURE_LIMITS.nameChars) throw bad(`Field name "${key}" is too long.`);
    if (this.fields.has(name)) throw bad(`Field "${key}" is given more than once.`);
    // A name may not be both a value and a group (`form[lookup]` and `form[lookup][postcode]`).
    let prefix = segments[0]!;
    for (let i = 1; i < segments.length; i++) {
      if (this.fields.has(prefix)) throw bad(`Field "${key}" is given both as a value and as a group.`);
      this.containers.add(prefix);
      prefix += `[${segments[i]}]`;
    }
    if (this.containers.has(name)) throw bad(`Field "${key}" is given both as a value and as a group.`);
    this.fields.set(name, value);
    if (this.fields.size > CAPTURE_LIMITS.fields) throw bad(`Too many fields: at most ${CAPTURE_LIMITS.fields} are accepted.`);
  }

  addPair(key: string, value: string) {
    const m = KEY_SYNTAX.exec(key);
    if (!m) throw bad(`Malformed field name "${key}".`);
    const segments = m[2] ? m[2].slice(1, -1).split("][") : [];
    if (m[1] !== "form") {
      if (this.foreign.length >= CAPTURE_LIMITS.fields) throw bad(`Too many fields: at most ${CAPTURE_LIMITS.fields} are accepted.`);
      this.foreign.push(key);
      return;
    }
    this.add(key, segments, value);
  }

  addJson(path: string[], value: unknown) {
    const key = `form${path.map((s) => `[${s}]`).join("")}`;
    if (typeof value === "string") return this.add(key, path, value);
    if (typeof value === "number" && Number.isFinite(value)) return this.add(key, path, String(value));
    if (typeof value === "boolean") return this.add(key, path, String(value));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      if (path.length >= CAPTURE_LIMITS.depth) throw bad(`Field "${key}" is nested too deeply.`);
      for (const [k, v] of Object.entries(value)) {
        if (k === "" || /[[\]]/.test(k)) throw bad(`Malformed field name "${k}" in "${key}".`);
        this.addJson([...path, k], v);
      }
      return;
    }
    throw bad(`Field "${key}" must be a string.`);
  }
}

function contentType(c: Context): string {
  return (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
}

export async function readCaptureBody(c: Context): Promise<CaptureBody> {
  const type = contentType(c);
  const isUrlEncoded = type === "application/x-www-form-urlencoded" || type === "x-www-form-urlencoded";
  const isJson = type === "application/json" || type.endsWith("+json");
  const isMultipart = type === "multipart/form-data";
  if (!isUrlEncoded && !isJson && !isMultipart) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      "Content-Type must be application/x-www-form-urlencoded, multipart/form-data or application/json.",
    );
  }
  const bytes = await readBodyBytes(c, CAPTURE_LIMITS.bodyBytes);
  const out = new Collector();

  if (isUrlEncoded) {
    for (const [k, v] of decodeUrlEncoded(decodeUtf8(bytes))) out.addPair(k, v);
  } else if (isMultipart) {
    decodeUtf8(bytes); // file parts are refused below; text parts must be valid UTF-8
    const form = await parseMultipart(c.req.header("Content-Type")!, bytes);
    for (const [k, v] of form.entries()) {
      if (typeof v !== "string") throw bad(`Field "${k}" must be a string, not a file.`);
      out.addPair(k, v);
    }
  } else {
    const parsed = parseJsonStrict(decodeUtf8(bytes));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw bad('Request body must be a JSON object {"form":{…}}.');
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (k !== "form") {
        out.foreign.push(k);
        continue;
      }
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad('"form" must be an object of fields.');
      out.addJson([], v);
    }
  }
  return { fields: out.fields, foreign: out.foreign };
}
