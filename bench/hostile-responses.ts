// One-megabyte response bodies built to make a careless parser slow (backtracking regexes,
// recursion over deep nesting). test/integrations/response-parsers-hostile.test.ts checks what
// each one gives; scripts/bench-parsers.mjs prints how long each one takes (`npm run bench`).

export const HOSTILE_SIZE = 1024 * 1024;

export interface HostileResponse {
  name: string;
  type: "JSON" | "XML" | "TEXT";
  key: string;
  body: () => string;
}

const fill = (head: string, unit: string, tail: string) =>
  head + unit.repeat(Math.floor((HOSTILE_SIZE - head.length - tail.length) / unit.length)) + tail;

const nested = (open: string, close: string, head = "", tail = "") => {
  const n = Math.floor((HOSTILE_SIZE - head.length - tail.length) / (open.length + close.length));
  return head + open.repeat(n) + close.repeat(n) + tail;
};

export const HOSTILE_RESPONSES: HostileResponse[] = [
  { name: "TEXT: one entry, a megabyte of inner spaces", type: "TEXT", key: "status", body: () => fill("a", " ", "b") },
  { name: "TEXT: spaces before a late separator", type: "TEXT", key: "status", body: () => fill("status", " ", "= ok") },
  { name: "TEXT: 500,000 entries without a separator", type: "TEXT", key: "status", body: () => fill("", "a,", "") },
  { name: "XML: elements nested 100,000 deep", type: "XML", key: "leadId", body: () => nested("<a>", "</a>") },
  { name: "XML: an unclosed comment", type: "XML", key: "leadId", body: () => fill("<r><!--", "-", "") },
  { name: "XML: a start tag of attributes that never closes", type: "XML", key: "leadId", body: () => fill("<r", " b='c'", "") },
  { name: "XML: 200,000 sibling elements", type: "XML", key: "leadId", body: () => fill("<r>", "<a/>", "<leadId>7</leadId></r>") },
  { name: "XML: entity-like runs", type: "XML", key: "r", body: () => fill("<r>", "&#x0000000", "</r>") },
  { name: "JSON: arrays nested 500,000 deep", type: "JSON", key: "a", body: () => nested("[", "]", '{"a":', "}") },
];
