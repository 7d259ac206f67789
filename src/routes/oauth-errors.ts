import type { ErrorHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { ApiError, type ErrorCode, toApiError } from "../errors";

// OAuth 2 style errors, {"error","error_description"}: the login endpoint and token failures.
const OAUTH_ERROR: Partial<Record<ErrorCode, string>> = {
  TOKEN_INVALID: "invalid_grant",
  TOKEN_EXPIRED: "invalid_grant",
  UNAUTHORIZED: "invalid_grant",
  PASSWORD_EXPIRED: "password_expired",
  FORBIDDEN: "access_denied",
  RATE_LIMITED: "rate_limited",
  UNAVAILABLE: "temporarily_unavailable",
  INTERNAL: "server_error",
  NOT_FOUND: "not_found",
};

/** The body of every OAuth-style error (the MFA step adds mfa_token). */
export const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string(),
  mfa_token: z.string().optional(),
});

export function oauthBody(err: ApiError): Record<string, unknown> {
  if (err.detail.body) return err.detail.body as Record<string, unknown>;
  return { error: OAUTH_ERROR[err.code] ?? "invalid_request", error_description: err.message };
}

/** An error whose body is exactly the given OAuth error. */
export function oauthError(
  code: ErrorCode,
  error: string,
  description: string,
  extra: Record<string, unknown> = {},
): ApiError {
  return new ApiError(code, description, { body: { error, error_description: description, ...extra } });
}

export const renderOAuthError: ErrorHandler<AppEnv> = (e, c) => {
  const err = toApiError(e);
  return c.json(oauthBody(err), err.status, err.detail.headers);
};
