// One error model for every surface: handlers throw ApiError with a code; each surface's
// onError renders it in that surface's documented shape (publisher API, OAuth, Hydra).
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  PASSWORD_EXPIRED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface Violation {
  propertyPath: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: (typeof ERROR_STATUS)[ErrorCode];
  constructor(
    readonly code: ErrorCode,
    message: string,
    // Surface-specific detail: per-field violations, a pre-rendered body, retry hints.
    readonly detail: { violations?: Violation[]; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

// The OAuth-style messages of the Convertr error table, shared by every surface that takes a token.
export const TOKEN_MESSAGES = {
  TOKEN_INVALID: "The access token provided is invalid.",
  TOKEN_EXPIRED: "The access token provided has expired.",
} as const;

export const tokenInvalid = () => new ApiError("TOKEN_INVALID", TOKEN_MESSAGES.TOKEN_INVALID);
export const tokenExpired = () => new ApiError("TOKEN_EXPIRED", TOKEN_MESSAGES.TOKEN_EXPIRED);
export const notFound = (message = "Not Found") => new ApiError("NOT_FOUND", message);
export const forbidden = (message = "Access denied.") => new ApiError("FORBIDDEN", message);

/** Unknown errors become a generic 500; the detail goes to the log, never to the client. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  console.error("unhandled error", err instanceof Error ? err.stack ?? err.message : String(err));
  return new ApiError("INTERNAL", "Internal Server Error");
}
