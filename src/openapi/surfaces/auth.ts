import { z } from "zod";
import { ApiError } from "../../errors";
import { loginTokensSchema, passwordGrant, refreshGrant as loginRefreshGrant } from "../../routes/login";
import { oauthBody, oauthError, oauthErrorSchema } from "../../routes/oauth-errors";
import { revokeRequest } from "../../routes/oauth-revoke";
import { apiKeyGrant, oauthTokensSchema, refreshGrant } from "../../routes/oauth-token";
import { confirmSchema, requestSchema, resetAnswerSchema } from "../../routes/password-reset";
import { hydraErrorBody, hydraErrorSchema } from "../../routes/v4/hydra-errors";
import { changePasswordSchema } from "../../routes/v4/users-change-password";
import { DEMO } from "../demo";
import { formOrJson, type OperationSpec, type ResponseSpec } from "../operation";
import type { Surface } from "./surface";

// Login, the OAuth token endpoint, password reset and password change.

const oauth = (error: string, description: string, extra: Record<string, unknown> = {}) =>
  oauthBody(oauthError("BAD_REQUEST", error, description, extra));

const TAG = "Authentication";

const tokenExample = {
  access_token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyMDEifQ.c2lnbmF0dXJl",
  expires_in: 3600,
  token_type: "bearer",
  scope: null,
  refresh_token: "N2QwYWZlOTliYThmZmQwNDRhNDcyMGQwZGU0ZjlhODlk",
};

const BAD_CREDENTIALS = { summary: "Wrong username or password", value: oauth("invalid_grant", "Invalid username and password combination") };

const loginErrors: Record<string, ResponseSpec> = {
  "400": {
    description: "Wrong credentials, a wrong or expired MFA code, an unusable refresh token, or a malformed request.",
    schema: "OAuthError",
    examples: {
      badCredentials: BAD_CREDENTIALS,
      badCode: { summary: "Wrong MFA code", value: oauth("invalid_grant", "Invalid MFA code") },
      badRefresh: { summary: "Refresh token used, revoked or expired", value: oauth("invalid_grant", "The refresh token is invalid or has expired") },
    },
  },
  "401": {
    description: "The account has SMS multi-factor authentication: a code was sent; repeat the request with mfa_token and mfa_code.",
    schema: "OAuthError",
    examples: {
      mfa: {
        summary: "MFA required",
        value: oauthBody(oauthError("UNAUTHORIZED", "Mfa Required", "Multifactor authentication required", { mfa_token: "MmE3Mzk0ODk0ODU4OWQ0MTAxNDBmNGE0YzEx" })),
      },
    },
  },
  "429": {
    description: "Codes are rationed per user and telephone; Retry-After says when to try again.",
    schema: "OAuthError",
    headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } },
  },
};

const login: OperationSpec = {
  method: "post",
  path: "/api/login",
  operationId: "login",
  tags: [TAG],
  summary: "Log in (access and refresh token)",
  description:
    "Convertr's `POST /api/login`: the password grant (with SMS multi-factor authentication when the account has a telephone) " +
    "and the refresh-token grant. The access token lasts an hour; send it as `Authorization: Bearer …`. A refresh token is used once: each refresh answers a new pair.",
  security: [],
  body: {
    description: "username and password (then mfa_token and mfa_code when asked), or grant_type=refresh_token with refresh_token.",
    content: formOrJson("LoginRequest", { username: DEMO.publisherUser.username, password: DEMO.publisherUser.password }),
  },
  responses: {
    "200": {
      description: "The tokens.",
      schema: "LoginTokens",
      examples: {
        tokens: {
          summary: "Logged in",
          value: { ...tokenExample, client_id: DEMO.oauthClient.id, user_id: DEMO.publisherUser.id, password_expired: false, expires_ts: 1798761600 },
        },
      },
    },
    ...loginErrors,
  },
};

const API_KEY_GRANT_TYPE = "https://acme.cvtr.io/grants/api_key";

const tokenDescription =
  "The OAuth 2 token endpoint of Convertr's older publisher API documentation. Every grant needs the enterprise's OAuth client " +
  "(client_id and client_secret as parameters, or HTTP Basic). Grants: `password` (as `/api/login`, MFA included), `refresh_token`, " +
  "and the API-key grant (`grant_type` is any URL ending in `/grants/api_key`) with `api_key`, a campaign publisher key: that token " +
  "works only on the publisher API of that key's campaign. Parameters come from the query string and, for POST, the body (the body wins).";

const tokenResponses: Record<string, ResponseSpec> = {
  "200": { description: "The tokens (no-store).", schema: "OAuthTokens", examples: { tokens: { summary: "A token pair", value: tokenExample } } },
  "400": {
    description: "A missing or unsupported grant, a missing parameter, or a grant that fails.",
    schema: "OAuthError",
    examples: {
      noGrant: { summary: "No grant_type", value: oauth("invalid_request", "Invalid grant_type parameter or parameter missing") },
      missing: { summary: "Password grant without a password", value: oauth("invalid_request", 'Missing parameters. "username" and "password" required') },
      badCredentials: BAD_CREDENTIALS,
    },
  },
  "401": { description: "Unknown OAuth client, or MFA required (as /api/login).", schema: "OAuthError" },
};

const tokenGet: OperationSpec = {
  method: "get",
  path: "/oauth/v2/token",
  operationId: "oauthTokenGet",
  tags: [TAG],
  summary: "Token endpoint (query string)",
  description: tokenDescription,
  security: [{}, { oauthClient: [] }],
  params: [
    { name: "grant_type", in: "query", required: true, description: "`password`, `refresh_token` or a URL ending in `/grants/api_key`.", example: API_KEY_GRANT_TYPE },
    { name: "client_id", in: "query", description: "The enterprise's OAuth client id (or HTTP Basic).", example: DEMO.oauthClient.id },
    { name: "client_secret", in: "query", description: "The client's secret (or HTTP Basic).", example: DEMO.oauthClient.secret },
    { name: "api_key", in: "query", description: "API-key grant: a campaign publisher key.", example: DEMO.apiKey601 },
    { name: "username", in: "query", description: "Password grant." },
    { name: "password", in: "query", description: "Password grant." },
    { name: "refresh_token", in: "query", description: "Refresh-token grant." },
  ],
  responses: tokenResponses,
};

const tokenPost: OperationSpec = {
  method: "post",
  path: "/oauth/v2/token",
  operationId: "oauthTokenPost",
  tags: [TAG],
  summary: "Token endpoint",
  description: tokenDescription,
  security: [{}, { oauthClient: [] }],
  body: {
    description: "grant_type, the client's credentials (unless given with HTTP Basic) and the grant's parameters.",
    content: formOrJson("OAuthTokenRequest", {
      grant_type: "password",
      client_id: DEMO.oauthClient.id,
      client_secret: DEMO.oauthClient.secret,
      username: DEMO.publisherUser.username,
      password: DEMO.publisherUser.password,
    }),
  },
  responses: tokenResponses,
};

const revoke: OperationSpec = {
  method: "post",
  path: "/oauth/v2/revoke",
  operationId: "oauthRevoke",
  tags: [TAG],
  summary: "Revoke a refresh token (sign out)",
  description:
    "OAuth 2 token revocation (RFC 7009): the refresh token no longer buys tokens on either endpoint; the user's other sessions go on. " +
    "Unknown, expired and already revoked tokens are answered 200 as well, so the answer never tells whether a token existed.",
  security: [],
  body: {
    description: "The refresh token, with an optional `token_type_hint`.",
    content: formOrJson("OAuthRevokeRequest", { token: "a-refresh-token", token_type_hint: "refresh_token" }),
  },
  responses: {
    "200": { description: "Revoked, or nothing to revoke (empty body)." },
    "400": { description: "No token.", schema: "OAuthError", examples: { missing: { summary: "Missing token", value: oauth("invalid_request", "Missing token") } } },
  },
};

const resetRequest: OperationSpec = {
  method: "post",
  path: "/api/password-reset",
  operationId: "passwordResetRequest",
  tags: [TAG],
  summary: "Ask for a password reset code",
  description:
    "Sends an 8-digit code to the account's MFA telephone, or else to its username (an email address). The answer is the same whether or not the account exists.",
  security: [],
  body: {
    description: "The username.",
    content: formOrJson("PasswordResetRequest", { username: DEMO.publisherUser.username }),
  },
  responses: {
    "202": {
      description: "Accepted, whatever the account.",
      schema: "PasswordResetAnswer",
      examples: { sent: { summary: "Accepted", value: { message: "If the account exists, a reset code has been sent." } } },
    },
    "400": { description: "No username.", schema: "OAuthError", examples: { missing: { summary: "Missing username", value: oauth("invalid_request", "Missing username") } } },
  },
};

const resetConfirm: OperationSpec = {
  method: "post",
  path: "/api/password-reset/confirm",
  operationId: "passwordResetConfirm",
  tags: [TAG],
  summary: "Set a new password with the reset code",
  description:
    "Sets the new password (10 to 128 characters) and ends every session of the user. Codes last 15 minutes; wrong codes are counted and lock the account's codes. " +
    "On `npm run dev` the code is in the local outbox, `GET /__dev/outbox`; the example's code is a made-up one, so it answers 400.",
  security: [],
  body: {
    description: "username, the code and newPassword.",
    content: formOrJson("PasswordResetConfirm", { username: DEMO.publisherUser.username, code: "12345678", newPassword: "a-new-password-2026" }),
  },
  responses: {
    "202": {
      description: "The password has been changed.",
      schema: "PasswordResetAnswer",
      examples: { changed: { summary: "Changed", value: { message: "The password has been changed." } } },
    },
    "400": {
      description: "A wrong, expired or used code, or an unacceptable field.",
      schema: "OAuthError",
      examples: {
        badCode: { summary: "Wrong or expired code", value: oauth("invalid_grant", "The reset code is invalid or has expired") },
        short: { summary: "Password too short", value: oauth("invalid_request", "newPassword: The password must be at least 12 characters long.") },
      },
    },
  },
};

const hydra = (status: "FORBIDDEN" | "UNPROCESSABLE", message: string, violations?: { propertyPath: string; message: string }[]) =>
  hydraErrorBody(new ApiError(status, message, violations ? { violations } : {}));

const changePassword: OperationSpec = {
  method: "post",
  path: "/api/v4/users/{id}/change-password",
  operationId: "changePassword",
  tags: [TAG],
  summary: "Change your password",
  description:
    "A user changes their own password; an expired password may (and must) be changed here. Every session of the user ends, this token's included: log in again. " +
    "A v4 operation, so errors are Hydra errors.",
  security: [{ bearerAuth: [] }],
  demo: { kind: "bearer", username: DEMO.publisherUser.username, password: DEMO.publisherUser.password },
  params: [{ name: "id", in: "path", description: "Your user id (user_id of the login answer).", example: DEMO.publisherUser.id }],
  body: {
    // One example only: it works once, since it changes the demo password (a form body works too).
    description: "currentPassword and newPassword (10 to 128 characters, not the current one); JSON, or the same fields url-encoded.",
    content: { "application/json": { schema: "ChangePasswordRequest", example: { currentPassword: DEMO.publisherUser.password, newPassword: "northwind-2027!" } } },
  },
  responses: {
    "202": { description: "Changed; sessions ended." },
    "403": {
      description: "Another user's id.",
      schema: "HydraError",
      contentType: "application/ld+json",
      examples: { other: { summary: "Not your account", value: hydra("FORBIDDEN", "You can only change your own password.") } },
    },
    "422": {
      description: "Wrong current password or unacceptable new one.",
      schema: "HydraError",
      contentType: "application/ld+json",
      examples: {
        wrong: {
          summary: "Wrong current password",
          value: hydra("UNPROCESSABLE", "Invalid password change.", [{ propertyPath: "currentPassword", message: "The current password is wrong." }]),
        },
      },
    },
  },
};

export const authSurface: Surface = {
  tag: { name: TAG, description: "Tokens for every other surface: the publisher API, the v4 API and the webhooks that take an admin token." },
  operations: [login, tokenGet, tokenPost, revoke, resetRequest, resetConfirm, changePassword],
  requests: {
    LoginRequest: z.union([passwordGrant, loginRefreshGrant]),
    OAuthTokenRequest: z.intersection(
      z.object({ grant_type: z.string(), client_id: z.string().optional(), client_secret: z.string().optional() }),
      z.union([passwordGrant, refreshGrant, apiKeyGrant]),
    ),
    OAuthRevokeRequest: revokeRequest,
    PasswordResetRequest: requestSchema,
    PasswordResetConfirm: confirmSchema,
    ChangePasswordRequest: changePasswordSchema,
  },
  responses: {
    LoginTokens: loginTokensSchema,
    OAuthTokens: oauthTokensSchema,
    OAuthError: oauthErrorSchema,
    PasswordResetAnswer: resetAnswerSchema,
    HydraError: hydraErrorSchema,
  },
};
