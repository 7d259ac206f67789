import { readSession } from "../api/session";

/**
 * Whether the signed-in user is an admin, read from the access token's `role` claim. Only to hide
 * controls a publisher user cannot use (writes, provider logs): the API enforces every rule itself.
 */
export function isAdmin(): boolean {
  const token = readSession()?.accessToken;
  const payload = token?.split(".")[1];
  if (!payload) return false;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    return (JSON.parse(json) as { role?: string }).role === "admin";
  } catch {
    return false;
  }
}
