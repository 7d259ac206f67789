// The signed-in session: the tokens of POST /api/login, kept in localStorage so a reload or a new
// tab stays signed in. Access tokens live an hour; the refresh token (single use, 30 days) buys a
// new pair shortly before that, once at a time (a refresh token used twice revokes them all).

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Access token expiry, epoch milliseconds. */
  expiresAt: number;
  userId: number;
  username: string;
}

/** The token answer of POST /api/login (Convertr's shape plus leadflare's extra fields). */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user_id: number;
  password_expired: boolean;
  expires_ts: number;
}

/** An OAuth-style error answer of /api/login and /api/password-reset. */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
  mfa_token?: string;
}

const KEY = "leadflare.session";
/** Refresh this long before the access token expires, so no request goes out with a dying token. */
const REFRESH_MARGIN_MS = 120_000;

export function readSession(): Session | null {
  const raw = localStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    localStorage.removeItem(KEY);
    return null;
  }
}

export function saveSession(username: string, t: TokenResponse): Session {
  const session: Session = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: t.expires_ts * 1000,
    userId: t.user_id,
    username,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

/** An error of the sign-in API, with its OAuth error body (its `error_description` is the message). */
export class AuthApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: OAuthErrorBody,
  ) {
    super(body.error_description ?? body.error ?? `HTTP ${status}`);
  }
}

/** POSTs JSON to one of the sign-in endpoints and returns its JSON body, or throws AuthApiError. */
export async function postAuth<T>(path: string, body: Record<string, string>, bearer?: string): Promise<T> {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) {
    // The v4 API answers Hydra errors; the login and reset routes answer OAuth errors.
    const violations = (json.violations ?? []) as { propertyPath: string; message: string }[];
    const description = violations.length
      ? violations.map((v) => `${v.propertyPath}: ${v.message}`).join("; ")
      : (json.error_description ?? json.detail ?? json["hydra:description"] ?? json.description);
    throw new AuthApiError(res.status, { error: json.error ?? json.title ?? "error", error_description: description, mfa_token: json.mfa_token });
  }
  return json as T;
}

let refreshing: Promise<Session | null> | null = null;

async function refresh(session: Session): Promise<Session | null> {
  try {
    const t = await postAuth<TokenResponse>("/api/login", { grant_type: "refresh_token", refresh_token: session.refreshToken });
    return saveSession(session.username, t);
  } catch (e) {
    // An invalid refresh token ends the session; a network error keeps it for the next try.
    if (e instanceof AuthApiError) {
      clearSession();
      return null;
    }
    return session;
  }
}

/** The current session with an access token good for at least the refresh margin, or null. */
export async function freshSession(now = Date.now()): Promise<Session | null> {
  const session = readSession();
  if (!session || session.expiresAt - now > REFRESH_MARGIN_MS) return session;
  refreshing ??= refresh(session).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function headersOf(session: Session | null): Headers {
  const headers = new Headers({ Accept: "application/ld+json" });
  if (session) headers.set("Authorization", `Bearer ${session.accessToken}`);
  return headers;
}

/** The Authorization header of the current session (refreshed first when close to expiry). */
export async function authHeaders(): Promise<Headers> {
  return headersOf(await freshSession());
}

/**
 * The Authorization header of the stored session, read at call time: for the documentation
 * parser, which keeps its options and reuses them later (e.g. for a collection's search filters).
 */
export const currentAuthHeaders = (): Headers => headersOf(readSession());
