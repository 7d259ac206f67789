import type { ErrorHandler } from "hono";
import type { AppEnv } from "../../env";
import { toApiError } from "../../errors";
import { plainJson } from "../../http/plain-json";

// Hydra errors in API Platform's shape (engineering notes §2.4): hydra:Error, or a
// ConstraintViolationList when the error carries per-property violations.
export const renderHydraError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  const headers = { "Content-Type": "application/ld+json; charset=utf-8", ...err.detail.headers };
  const violations = err.detail.violations;
  const body = violations?.length
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
  return new Response(plainJson(body, c.env), { status: err.status, headers });
};
