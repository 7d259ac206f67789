// An advertiser value transform rule as the API holds it, and how its manipulation settings are
// described and cleaned for the form (the API takes exactly one operation's fields).

export type Manipulation =
  | { operation: "concatenate"; fields: string[]; separator?: string }
  | { operation: "replace"; pattern: string; replacement?: string; flags?: string }
  | { operation: "case"; case: "lower" | "upper" | "title" }
  | { operation: "hash"; algorithm: "sha256" | "sha1" | "md5"; normalise?: boolean };

export interface TransformRecord {
  id: string;
  originId: number;
  advertiser: string;
  label: string;
  type: "Transform" | "Manipulation";
  originalFieldName: string;
  newFieldName: string;
  manipulation: Manipulation | null;
  position: number;
  enabled: boolean;
}

export const OPERATIONS = [
  { id: "concatenate", name: "Concatenate fields" },
  { id: "replace", name: "Regex replace" },
  { id: "case", name: "Change case" },
  { id: "hash", name: "Hash" },
];

/** The fields each operation takes (others left in the form from another choice are dropped). */
const OPERATION_FIELDS = new Map<string, string[]>([
  ["concatenate", ["fields", "separator"]],
  ["replace", ["pattern", "replacement", "flags"]],
  ["case", ["case"]],
  ["hash", ["algorithm", "normalise"]],
]);

/** The rule as the API takes it: a Transform has no manipulation, a Manipulation only its operation's fields. */
export function cleanRule(data: Record<string, unknown>): Record<string, unknown> {
  const m = (data.manipulation ?? {}) as Record<string, unknown>;
  if (data.type !== "Manipulation") return { ...data, manipulation: null };
  const keep = OPERATION_FIELDS.get(String(m.operation)) ?? [];
  const manipulation: Record<string, unknown> = { operation: m.operation };
  for (const k of keep) if (Object.hasOwn(m, k) && m[k] !== undefined && m[k] !== null) manipulation[k] = m[k];
  return { ...data, manipulation };
}

/** One line saying what a rule does: "country → countryCode (value table)". */
export function describeRule(r: TransformRecord): string {
  const m = r.manipulation;
  const how = !m
    ? "value table"
    : m.operation === "concatenate"
      ? `+ ${m.fields.join(", ")} joined by "${m.separator ?? " "}"`
      : m.operation === "replace"
        ? `/${m.pattern}/${m.flags ?? "g"} → "${m.replacement ?? ""}"`
        : m.operation === "case"
          ? `${m.case} case`
          : `${m.algorithm}${m.normalise === false ? "" : " of the trimmed, lower-cased value"}`;
  return `${r.originalFieldName} → ${r.newFieldName} (${how})`;
}
