import type { ErrorHandler } from "hono";
import { z } from "zod";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { type ApiError, toApiError } from "../../errors";
import { FormValidationError } from "../../leads/capture-validate";
import { oauthBody } from "../oauth-errors";

// The publisher API's error bodies (Convertr's publisher API documentation): {"code","message"} plus "errors" for form
// validation, except token failures, which keep the OAuth bodies of the error table.

type SymfonyNode = [] | { errors?: string[]; children?: Record<string, SymfonyNode> };

export const symfonyNodeSchema: z.ZodType<SymfonyNode> = z.lazy(() =>
  z.union([
    z.tuple([]),
    z.object({ errors: z.array(z.string()).optional(), children: z.record(z.string(), symfonyNodeSchema).optional() }),
  ]),
);

/** The publisher API's error bodies: {code, message}, plus Symfony form errors for form validation. */
export const publisherErrorSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  errors: z
    .object({ errors: z.array(z.string()).optional(), children: z.record(z.string(), symfonyNodeSchema) })
    .optional()
    .meta({ description: "Form validation only: the form's own errors, then one child per field." }),
});

/**
 * Symfony/FOSRest form errors: the form's own errors (key omitted when none), then one child per
 * field: `[]` when it has no error, `{"errors":[…]}` when it has; nested fields (`lookup[postcode]`)
 * are children of their group, `{"children":{"postcode":[]}}`.
 */
export function symfonyFormErrors(err: FormValidationError): Record<string, unknown> {
  // Null-prototype levels: a field named "__proto__[x]" or "constructor[x]" must add a child, not
  // write into Object.prototype or the Object function.
  const children: Record<string, SymfonyNode> = Object.create(null);
  for (const [field, errors] of err.children) {
    const path = field.replace(/\]/g, "").split("[");
    let level = children;
    for (const group of path.slice(0, -1)) {
      let node = level[group];
      if (!node || Array.isArray(node)) level[group] = node = {};
      level = node.children ??= Object.create(null);
    }
    level[path.at(-1)!] = errors.length > 0 ? { errors } : [];
  }
  return { ...(err.formErrors.length > 0 ? { errors: err.formErrors } : {}), children };
}

export function publisherErrorBody(err: ApiError): Record<string, unknown> {
  // No credential at all: FOSOAuthServerBundle's answer, which Convertr's token errors come from.
  if (err.code === "UNAUTHORIZED") return { error: "access_denied", error_description: "OAuth2 authentication required" };
  if (err.code === "TOKEN_INVALID" || err.code === "TOKEN_EXPIRED") return oauthBody(err);
  if (err instanceof FormValidationError) return { code: 400, message: err.message, errors: symfonyFormErrors(err) };
  return { code: err.status, message: err.message };
}

export const renderPublisherError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  return c.json(publisherErrorBody(err), err.status as ContentfulStatusCode, err.detail.headers);
};
