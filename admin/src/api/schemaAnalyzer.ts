import { hydraSchemaAnalyzer } from "@api-platform/admin";
import type { SchemaAnalyzer } from "@api-platform/admin";

/**
 * The property a generated reference field shows for the record it points to. API Platform Admin
 * only looks for a property typed https://schema.org/name and otherwise shows `id`, which its data
 * provider has replaced by the record's IRI; ours are plain Hydra properties, so the first of these
 * names the resource has is shown, else the record's own numeric id (`originId`).
 */
const NAME_PROPERTIES = ["name", "username", "email", "label", "title", "code"];

const base = hydraSchemaAnalyzer();

export const schemaAnalyzer: SchemaAnalyzer = {
  ...base,
  getFieldNameFromSchema: (schema) => {
    const names = new Set((schema.fields ?? []).map((f) => f.name));
    return NAME_PROPERTIES.find((n) => names.has(n)) ?? "originId";
  },
};
