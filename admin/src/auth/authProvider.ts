import type { AuthProvider } from "react-admin";
import { AuthApiError, clearSession, freshSession, postAuth, readSession, saveSession, type TokenResponse } from "../api/session";

/** The first sign-in call of an MFA user: the code went by SMS; the second call carries it. */
export class MfaRequired extends Error {
  constructor(readonly mfaToken: string) {
    super("Enter the code sent to your telephone.");
  }
}

/** The password has expired: it must be changed (with this token) before anything else. */
export class PasswordExpired extends Error {
  constructor(
    readonly userId: number,
    readonly accessToken: string,
  ) {
    super("Your password has expired. Choose a new one to continue.");
  }
}

export interface Credentials {
  username: string;
  password: string;
  mfaToken?: string;
  mfaCode?: string;
}

/** POST /api/login with a password (and the MFA code on the second call). */
export async function signIn({ username, password, mfaToken, mfaCode }: Credentials) {
  let t: TokenResponse;
  try {
    t = await postAuth<TokenResponse>("/api/login", {
      username,
      password,
      ...(mfaToken && mfaCode ? { mfa_token: mfaToken, mfa_code: mfaCode } : {}),
    });
  } catch (e) {
    if (e instanceof AuthApiError && e.body.mfa_token) throw new MfaRequired(e.body.mfa_token);
    throw e;
  }
  // An expired password gives a token good only for changing it: it is not a session.
  if (t.password_expired) throw new PasswordExpired(t.user_id, t.access_token);
  saveSession(username, t);
}

const isPasswordExpiredError = (error: { status?: number; body?: unknown; message?: string }) =>
  error.status === 403 && /password/i.test(JSON.stringify(error.body ?? error.message ?? ""));

export const authProvider: AuthProvider = {
  login: (params: Credentials) => signIn(params),
  logout: async () => {
    // End the session on the server too; a failed call still signs out here.
    const session = readSession();
    clearSession();
    if (session) await postAuth("/oauth/v2/revoke", { token: session.refreshToken }).catch(() => undefined);
  },
  checkAuth: async () => {
    if (!(await freshSession())) throw new Error("Please sign in.");
  },
  checkError: async (error) => {
    const status = error?.status;
    if (status === 401) {
      clearSession();
      throw new Error("Your session has ended. Please sign in again.");
    }
    if (status === 403 && isPasswordExpiredError(error)) {
      clearSession();
      throw new Error("Your password has expired. Sign in to change it.");
    }
  },
  getIdentity: async () => {
    const session = readSession();
    if (!session) throw new Error("Not signed in.");
    return { id: session.userId, fullName: session.username };
  },
};
