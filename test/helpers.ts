import { exports } from "cloudflare:workers";

// Black-box helpers: every request goes through the Worker's own fetch handler.
export const BASE = "http://127.0.0.1:8787";

export const DEMO = {
  admin: { id: 167, username: "admin@acme.test", password: "acme-admin-2026!" },
  mfaAdmin: { id: 168, username: "mfa@acme.test", password: "acme-mfa-2026!", telephone: "+447700900168" },
  northwind: { id: 201, username: "api@northwind.test", password: "northwind-2026!", publisherId: 12 },
  agencyPartners: { id: 202, username: "api@agency-partners.test", password: "agency-partners-2026!", publisherId: 13 },
} as const;

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, BASE), init));
}

export function form(fields: Record<string, string | number>, headers: Record<string, string> = {}): RequestInit {
  const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  return {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: body.toString(),
  };
}

export function json(body: unknown, method = "POST", headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) };
}

export async function loginAs(user: { username: string; password: string }): Promise<string> {
  const res = await call("/api/login", form({ username: user.username, password: user.password }));
  if (res.status !== 200) throw new Error(`login failed for ${user.username}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
