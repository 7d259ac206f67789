import { Checkbox, FormControlLabel, MenuItem, Stack, TextField } from "@mui/material";
import type { JsonSchema } from "./api";

// A job's config form, generated from the JSON Schema that zod emits for the job type's config
// (GET /api/v4/processr-job-types): one control per property. The API validates the result with
// the same zod schema, so the form only shapes values and the API's violations say what is wrong.

/** What the form holds per property: text for text, numbers, lists and JSON; a boolean for checkboxes. */
export type Draft = Record<string, string | boolean>;

type Control = "boolean" | "enum" | "number" | "list" | "json" | "text";

/** The property's type, looking through zod's anyOf (e.g. a count given as a number or a string of digits). */
function typesOf(p: JsonSchema): string[] {
  if (p.anyOf) return p.anyOf.flatMap(typesOf);
  if (Array.isArray(p.type)) return p.type;
  return p.type ? [p.type] : [];
}

function controlOf(p: JsonSchema): Control {
  const types = typesOf(p);
  if (p.enum) return "enum";
  if (types.includes("boolean") && types.length === 1) return "boolean";
  if (types.includes("number") || types.includes("integer")) return "number";
  if (types.includes("array") && (p.items?.type === "string" || p.anyOf?.some((a) => a.items?.type === "string"))) return "list";
  if (types.includes("string") && types.length === 1) return "text";
  return "json";
}

const properties = (schema: JsonSchema) => Object.entries(schema.properties ?? {});

/** The form's starting values: the given config, else each property's default. */
export function draftOf(schema: JsonSchema, config: Record<string, unknown> = {}): Draft {
  const draft: Draft = {};
  for (const [name, p] of properties(schema)) {
    const value = Object.hasOwn(config, name) ? config[name] : p.default;
    const control = controlOf(p);
    if (control === "boolean") draft[name] = value === true;
    else if (value === undefined || value === null) draft[name] = "";
    else if (control === "list" && Array.isArray(value)) draft[name] = value.join(", ");
    else if (control === "json") draft[name] = JSON.stringify(value, null, 2);
    else draft[name] = String(value);
  }
  return draft;
}

/** The config to send: empty optional values are left out (the API fills in its defaults). */
export function configOf(schema: JsonSchema, draft: Draft): { config: Record<string, unknown> } | { error: string } {
  const config: Record<string, unknown> = {};
  for (const [name, p] of properties(schema)) {
    const value = draft[name];
    if (typeof value === "boolean") {
      config[name] = value;
      continue;
    }
    if (value === undefined || value.trim() === "") continue;
    const control = controlOf(p);
    if (control === "number") config[name] = Number.isNaN(Number(value)) ? value : Number(value);
    else if (control === "list") config[name] = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
    else if (control === "json") {
      try {
        config[name] = JSON.parse(value);
      } catch {
        return { error: `${name}: not valid JSON` };
      }
    } else config[name] = value;
  }
  return { config };
}

const label = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());

export function SchemaForm({ schema, draft, onChange }: { schema: JsonSchema; draft: Draft; onChange: (d: Draft) => void }) {
  const required = new Set(schema.required ?? []);
  const set = (name: string, value: string | boolean) => onChange({ ...draft, [name]: value });
  return (
    <Stack spacing={2}>
      {properties(schema).map(([name, p]) => {
        const control = controlOf(p);
        const common = { label: label(name), required: required.has(name), helperText: p.description, fullWidth: true, size: "small" as const };
        if (control === "boolean") {
          return <FormControlLabel key={name} label={label(name)} control={<Checkbox checked={draft[name] === true} onChange={(e) => set(name, e.target.checked)} />} />;
        }
        const value = String(draft[name] ?? "");
        if (control === "enum") {
          return (
            <TextField key={name} select {...common} value={value} onChange={(e) => set(name, e.target.value)}>
              {!required.has(name) && <MenuItem value="">(default)</MenuItem>}
              {(p.enum ?? []).map((v) => <MenuItem key={String(v)} value={String(v)}>{String(v)}</MenuItem>)}
            </TextField>
          );
        }
        return (
          <TextField key={name} {...common} value={value} onChange={(e) => set(name, e.target.value)}
            type={control === "number" ? "number" : "text"} multiline={control === "json"} minRows={control === "json" ? 3 : undefined}
            helperText={control === "list" ? "Comma-separated" : control === "json" ? "JSON" : p.description} />
        );
      })}
    </Stack>
  );
}
