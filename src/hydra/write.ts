import type { Context } from "hono";
import { z } from "zod";
import { ApiError, type Violation } from "../errors";
import { parseJsonStrict, readBodyText } from "../http/body";
import { decimal } from "./format";

// Request bodies of v4 writes: JSON(-LD) objects, merge-patch for PATCH (API Platform's formats),
// validated with zod into a ConstraintViolationList (422).

const JSON_TYPES = ["application/ld+json", "application/json"];
const MERGE_PATCH = "application/merge-patch+json";

export async function readJsonObject(c: Context, kind: "json" | "merge-patch"): Promise<Record<string, unknown>> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  const accepted = kind === "merge-patch" ? [MERGE_PATCH] : JSON_TYPES;
  if (!accepted.includes(type)) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      `The content-type "${type || "(none)"}" is not supported. Supported MIME types are "${accepted.join('", "')}".`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseJsonStrict(await readBodyText(c));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError("BAD_REQUEST", "Syntax error: the request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError("BAD_REQUEST", "The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

export const violations = (issues: z.core.$ZodIssue[]): Violation[] =>
  issues.map((i) => ({ propertyPath: i.path.map(String).join("."), message: i.message }));

export function unprocessable(list: Violation[]): ApiError {
  return new ApiError("UNPROCESSABLE", list.map((v) => `${v.propertyPath}: ${v.message}`).join("\n"), { violations: list });
}

export function validate<T>(schema: z.ZodType<T>, data: unknown): T {
  const r = schema.safeParse(data);
  if (!r.success) throw unprocessable(violations(r.error.issues));
  return r.data;
}

/** A relation given as an IRI ("/api/v4/campaigns/601") or a bare id, as API Platform accepts. */
export const relation = (path: string) =>
  z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
    if (typeof v === "number") return v;
    const m = new RegExp(`^(?:/api/v4/${path}/)?(\\d{1,15})$`).exec(v);
    if (!m) {
      ctx.addIssue({ code: "custom", message: `Expected an IRI /api/v4/${path}/{id} or an id.` });
      return z.NEVER;
    }
    return Number(m[1]);
  });

/** ISO 8601 date-time (with offset) → Unix ms. */
export const dateTime = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((v) => Date.parse(v));

/** Money as a decimal string with at most 2 places ("10.00"); numbers are accepted too. */
export const money = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => /^\d{1,12}(\.\d{1,2})?$/.test(v), "Expected a non-negative amount with at most 2 decimals.")
  .transform((v) => decimal(v));
