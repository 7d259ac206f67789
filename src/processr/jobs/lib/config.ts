import { z } from "zod";

// zod building blocks shared by the job config schemas. Settings arrive from an admin form or from
// a Convertr export, so lists also accept a comma-separated string (Convertr's "import values")
// and counts also accept a string of digits.

/** A captured field name as configured: "firstName", "lookup[postcode]" or just "postcode". */
export const fieldName = z.string().trim().min(1, "a field name cannot be empty").max(100);

/** A list of strings: a JSON array or a comma-separated string; trimmed, blanks and repeats dropped. */
export function stringList(opts: { min?: number; max: number; itemMax?: number }) {
  return z
    .preprocess(
      (v) => (typeof v === "string" ? v.split(",") : v),
      z.array(z.string().trim().max(opts.itemMax ?? 255)),
    )
    .transform((xs) => [...new Set(xs.filter((x) => x !== ""))])
    .pipe(z.array(z.string()).min(opts.min ?? 0).max(opts.max));
}

/** A list of field names (at most 100). */
export const fieldList = (min = 0) => stringList({ min, max: 100, itemMax: 100 });

/** A whole number within [min, max], given as a number or a string of digits. */
export function wholeNumber(min: number, max: number) {
  return z
    .union([z.number(), z.string().trim().regex(/^\d+$/, "expected a whole number").transform(Number)])
    .pipe(z.number().int().min(min).max(max));
}

/** A row referred to by id or by IRI ("/api/v4/<resource>/12"), as an id. */
export function resourceId(resource: string, what: string) {
  const pattern = new RegExp(`^(?:/api/v4/${resource}/)?(\\d{1,15})$`);
  return z.union([
    z.number().int().positive(),
    z.string().trim().regex(pattern, `expected ${what} id or IRI`).transform((v) => Number(pattern.exec(v)![1])),
  ]);
}
