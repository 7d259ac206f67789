// Extracting the "response key" from a JSON, XML or delimited TEXT response (Convoso Connect
// fields F, H and I). A key is a path: "data.list_id", "Values.value.1", or just a name, which in
// XML and TEXT also matches at any depth (first in document order).

export const RESPONSE_TYPES = ["JSON", "XML", "TEXT"] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

export class ResponseParseError extends Error {}

/** Deeper XML elements, or JSON arrays and objects, are refused: they are walked recursively. */
export const MAX_NESTING = 100;

const splitPath = (key: string) => key.split(/[./]/).filter(Boolean);

function scalar(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  // JSON.stringify recurses: a value nested half a million deep would run out of stack.
  if (nestedDeeperThan(v, MAX_NESTING)) throw new ResponseParseError(`The response value is nested more than ${MAX_NESTING} deep.`);
  return JSON.stringify(v);
}

/** Whether a parsed JSON value has more than `limit` levels of arrays and objects (no recursion). */
function nestedDeeperThan(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

// ------------------------------------------------------------------ JSON

function jsonValue(body: string, key: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new ResponseParseError("The response is not valid JSON.");
  }
  for (const part of splitPath(key)) {
    if (Array.isArray(v) && /^\d+$/.test(part)) v = v[Number(part)];
    else if (typeof v === "object" && v !== null && Object.hasOwn(v, part)) v = (v as Record<string, unknown>)[part];
    else return null;
  }
  return scalar(v);
}

// ------------------------------------------------------------------ XML

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

// A Map: the entity name comes from the response ("&constructor;" is not an entity).
const ENTITIES = new Map([["lt", "<"], ["gt", ">"], ["amp", "&"], ["quot", '"'], ["apos", "'"]]);

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES.get(e.toLowerCase()) ?? m;
  });
}


/**
 * A small, strict-enough XML reader for API responses: elements, attributes, text, CDATA;
 * declarations, comments, processing instructions and DOCTYPE are skipped. No entity expansion
 * beyond the five predefined ones and character references, so no billion-laughs; at most
 * MAX_NESTING levels of elements.
 */
export function parseXml(body: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const token = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/\s*([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/gi;
  let m: RegExpExecArray | null;
  while ((m = token.exec(body))) {
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) top.text += m[1];
    else if (m[2] !== undefined) {
      if (top.name !== m[2] || stack.length === 1) throw new ResponseParseError(`Unexpected closing tag </${m[2]}>.`);
      stack.pop();
    } else if (m[3] !== undefined) {
      // Null prototype: attribute names are the response's; "__proto__" is stored like any other.
      const attributes: Record<string, string> = Object.create(null);
      for (const a of m[4]!.matchAll(/([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attributes[a[1]!] = decodeEntities(a[2] ?? a[3] ?? "");
      }
      const el: XmlElement = { name: m[3], attributes, children: [], text: "" };
      top.children.push(el);
      if (!m[5]) {
        if (stack.length > MAX_NESTING) throw new ResponseParseError(`Elements are nested more than ${MAX_NESTING} deep.`);
        stack.push(el);
      }
    } else if (m[6] !== undefined) top.text += decodeEntities(m[6]);
    else if (m[7] !== undefined) throw new ResponseParseError("Malformed XML: stray '<'.");
  }
  if (stack.length !== 1) throw new ResponseParseError(`Unclosed element <${stack[stack.length - 1]!.name}>.`);
  if (root.children.length !== 1) throw new ResponseParseError("The response is not an XML document with one root element.");
  return root;
}

const localName = (name: string) => name.slice(name.indexOf(":") + 1);

function findFirst(el: XmlElement, name: string): XmlElement | null {
  for (const c of el.children) {
    if (localName(c.name) === name) return c;
    const deep = findFirst(c, name);
    if (deep) return deep;
  }
  return null;
}

function textContent(el: XmlElement): string {
  return el.text + el.children.map(textContent).join("");
}

function xmlValue(body: string, key: string): string | null {
  const doc = parseXml(body);
  const parts = splitPath(key);
  let el: XmlElement | null;
  if (parts.length === 1) {
    // A bare name matches at any depth.
    el = findFirst(doc, parts[0]!);
  } else {
    // A path walks from the document; "value.1" is the second <value> of the step before,
    // "@id" an attribute of the element reached.
    el = doc;
    let candidates: XmlElement[] = [doc];
    for (const part of parts) {
      if (!el) return null;
      if (part.startsWith("@")) return Object.hasOwn(el.attributes, part.slice(1)) ? el.attributes[part.slice(1)]! : null;
      if (/^\d+$/.test(part)) el = candidates[Number(part)] ?? null;
      else {
        candidates = el.children.filter((c) => localName(c.name) === part);
        el = candidates[0] ?? null;
      }
    }
  }
  return el ? textContent(el).trim() : null;
}

// ------------------------------------------------------------------ TEXT

/**
 * Delimited text: entries separated by the delimiter (default ",", and line breaks); an entry
 * "key=value" or "key: value" names a value. The key is such a name, or a 0-based entry index.
 */
function textValue(body: string, key: string, delimiter: string): string | null {
  const entries = body
    .split(/\r?\n/)
    .flatMap((line) => line.split(delimiter))
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const e of entries) {
    // A scan for the first separator: "a", a megabyte of spaces and "b" made the former
    // /^([^=:]+?)\s*[=:]\s*(.*)$/ backtrack quadratically.
    const sep = e.search(/[=:]/);
    if (sep > 0 && e.slice(0, sep).trimEnd() === key) return e.slice(sep + 1).trimStart();
  }
  if (/^\d+$/.test(key)) return entries[Number(key)] ?? null;
  return null;
}

/** The value at `key` in the response, or null when absent; throws ResponseParseError on a malformed body. */
export function extractResponseValue(type: ResponseType, body: string, key: string, delimiter = ","): string | null {
  if (type === "JSON") return jsonValue(body, key);
  if (type === "XML") return xmlValue(body, key);
  return textValue(body, key, delimiter || ",");
}

/** The success rule's notion of "present": not empty and not a false-like word. */
export function isTruthyValue(v: string | null): boolean {
  if (v === null) return false;
  return !["", "false", "0", "null", "no", "fail", "failed", "error"].includes(v.trim().toLowerCase());
}
