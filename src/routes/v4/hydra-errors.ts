import type { ErrorHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env";
import { type ApiError, toApiError } from "../../errors";
import { plainJson } from "../../http/plain-json";

// Hydra errors in API Platform's shape (API Platform's documentation): hydra:Error, or a
// ConstraintViolationList when the error carries per-property violations.
/** Both shapes below (the violation list has `violations`). */
export const hydraErrorSchema = z.object({
  "@context": z.string(),
  "@type": z.enum(["hydra:Error", "ConstraintViolationList"]),
  "hydra:title": z.string(),
  "hydra:description": z.string(),
  violations: z.array(z.object({ propertyPath: z.string(), message: z.string() })).optional(),
});

export function hydraErrorBody(err: ApiError) {
  const violations = err.detail.violations;
  return violations?.length
    ? {
        "@context": "/api/v4/contexts/ConstraintViolationList",
        "@type": "ConstraintViolationList",
        "hydra:title": "An error occurred",
        "hydra:description": violations.map((v) => `${v.propertyPath}: ${v.message}`).join("\n"),
        violations,
      }
    : {
        "@context": "/api/v4/contexts/Error",
        "@type": "hydra:Error",
        "hydra:title": "An error occurred",
        "hydra:description": err.message,
      };
}

export const renderHydraError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  const headers = { "Content-Type": "application/ld+json; charset=utf-8", ...err.detail.headers };
  return new Response(plainJson(hydraErrorBody(err), c.env), { status: err.status, headers });
};
