import { z } from "zod";
import type { FieldType } from "../db/schema";
import { ApiError } from "../errors";
import { CAPTURE_LIMITS, type CaptureBody } from "./capture-body";

// Validation of a captured body against the form's fields, with Symfony's messages (Convertr is
// a Symfony application and its error table shows Symfony form errors).

export interface FormFieldDef {
  name: string;
  type: FieldType;
  required: boolean;
}

/** `form[submit]` is a button every form has: accepted, never validated, never stored. */
export const SUBMIT_FIELD = "submit";

export const MESSAGES = {
  extraFields: "This form should not contain extra fields.",
  blank: "This value should not be blank.",
  email: "This value is not a valid email address.",
  number: "This value should be a valid number.",
  date: "This value is not a valid date.",
  telephone: "This value is not a valid phone number.",
  tooLong: `This value is too long. It should have ${CAPTURE_LIMITS.valueChars} characters or less.`,
} as const;

/** A failed validation: form-level errors and, for every form field in order, its errors. */
export class FormValidationError extends ApiError {
  constructor(
    readonly formErrors: string[],
    readonly children: [field: string, errors: string[]][],
  ) {
    super("VALIDATION_FAILED", "Validation Failed", {
      violations: [
        ...formErrors.map((message) => ({ propertyPath: "", message })),
        ...children.flatMap(([field, errors]) => errors.map((message) => ({ propertyPath: field, message }))),
      ],
    });
  }
}

const typeSchemas: Partial<Record<FieldType, z.ZodType<string>>> = {
  email: z.email({ message: MESSAGES.email }),
  number: z.string().regex(/^-?\d+(\.\d+)?$/, MESSAGES.number),
  date: z.iso.date({ message: MESSAGES.date }),
  telephone: z.string().regex(/^\+?[0-9 ()\-.]{4,25}$/, MESSAGES.telephone),
};

/** The errors of one trimmed value: length first, then presence, then the field type's format. */
function fieldErrors(field: FormFieldDef, value: string): string[] {
  if (value.length > CAPTURE_LIMITS.valueChars) return [MESSAGES.tooLong];
  // Empty optional values are not type-checked: an empty optional field is simply not given.
  if (value === "") return field.required ? [MESSAGES.blank] : [];
  const typed = typeSchemas[field.type]?.safeParse(value);
  return typed && !typed.success ? [typed.error.issues[0]!.message] : [];
}

/**
 * Trims and validates the submitted values; returns the values to store (submit excluded), in
 * submission order, or throws FormValidationError (nothing is stored then).
 */
export function validateCapture(formFields: FormFieldDef[], body: CaptureBody): [string, string][] {
  const known = new Map<string, FormFieldDef>();
  for (const f of formFields) if (f.name !== SUBMIT_FIELD && f.type !== "submit") known.set(f.name, f);

  const formErrors: string[] = [];
  if (body.foreign.length > 0 || [...body.fields.keys()].some((k) => k !== SUBMIT_FIELD && !known.has(k))) {
    formErrors.push(MESSAGES.extraFields);
  }
  const children: [string, string[]][] = [];
  const values: [string, string][] = [];
  let failed = formErrors.length > 0;
  for (const field of known.values()) {
    const raw = body.fields.get(field.name);
    const trimmed = raw?.trim() ?? "";
    const errors = fieldErrors(field, trimmed);
    if (errors.length > 0) failed = true;
    children.push([field.name, errors]);
  }
  if (failed) throw new FormValidationError(formErrors, children);
  for (const [name, raw] of body.fields) if (name !== SUBMIT_FIELD) values.push([name, raw.trim()]);
  return values;
}
