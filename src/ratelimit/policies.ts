import type { Context } from "hono";
import { z } from "zod";
import { readBearerToken } from "../auth/authenticate";
import { sha256Hex } from "../auth/crypto";
import { verifyAccessToken } from "../auth/tokens";
import type { AppEnv, Env } from "../env";
import { bodyKind, MAX_BODY_BYTES } from "../http/body";

// Which limits apply to a request, and under which keys (issue 7, digest §2).

export type PolicyName = "login-ip" | "login-user" | "lead-result" | "total";

export interface Policy {
  name: PolicyName;
  /** Durable Object name: the policy plus the caller; never a raw credential. */
  key: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitConfig {
  windowSeconds: number;
  login: number;
  leadResult: number;
  total: number;
}

const positiveInt = z.string().trim().regex(/^[1-9]\d{0,9}$/, "must be a positive integer").transform(Number);
const configSchema = z.object({
  RATE_LIMIT_WINDOW_SECONDS: positiveInt,
  RATE_LIMIT_LOGIN: positiveInt,
  RATE_LIMIT_LEAD_RESULT: positiveInt,
  RATE_LIMIT_TOTAL: positiveInt,
});

/** The limits from the wrangler.toml vars, read per request so a deployment (or a test) can change them. */
export function rateLimitConfig(env: Env): RateLimitConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`Invalid rate limit configuration: ${issue.path.join(".")} ${issue.message}`);
  }
  const v = parsed.data;
  return {
    windowSeconds: v.RATE_LIMIT_WINDOW_SECONDS,
    login: v.RATE_LIMIT_LOGIN,
    leadResult: v.RATE_LIMIT_LEAD_RESULT,
    total: v.RATE_LIMIT_TOTAL,
  };
}

// Endpoints that take a password or a one-time code: limited like login, per IP and per username.
const CREDENTIAL_PATH = /^\/api\/(login|password-reset(\/confirm)?)\/?$/;
const LEAD_RESULT_PATH = /^\/api\/v2\.\d+\/publisher\/[^/]+\/lead-result\/[^/]+\/?$/;

export const isCredentialPath = (path: string) => CREDENTIAL_PATH.test(path);

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("CF-Connecting-IP")?.trim() || "unknown";
}

/**
 * The caller: a user whose access token verifies (checked locally, no database read), else the
 * hash of the API key it presents, else its IP. An invalid or expired token counts under the IP.
 */
export async function callerKey(c: Context<AppEnv>): Promise<string> {
  try {
    const token = readBearerToken(c);
    if (token) return `user:${(await verifyAccessToken(c.env, token)).principal.userId}`;
  } catch {
    // Not a valid token: fall through to the API key or the IP.
  }
  // Campaign-publisher and campaign keys (X-Api-Key, ?apikey=), the enterprise webhook key.
  const apiKey = c.req.header("X-Api-Key") ?? c.req.query("apikey") ?? c.req.header("X-Webhook-Key") ?? c.req.query("key");
  if (apiKey) return `apikey:${await sha256Hex(apiKey)}`;
  return `ip:${clientIp(c)}`;
}

/**
 * The username of a credential request, read from a clone of the body so the handler can still
 * read it. Anything unreadable gives null: the handler reports the error, not the limiter.
 */
async function usernameOf(c: Context<AppEnv>): Promise<string | null> {
  if (c.req.method !== "POST" || Number(c.req.header("Content-Length") ?? "0") > MAX_BODY_BYTES) return null;
  const kind = bodyKind(c);
  if (kind === null) return null;
  try {
    const req = c.req.raw.clone();
    // arrayBuffer, not text(): workerd warns when text() reads a form body.
    const text = async () => new TextDecoder().decode(await req.arrayBuffer());
    let value: unknown;
    if (kind === "json") value = (JSON.parse(await text()) as Record<string, unknown> | null)?.username;
    else if ((c.req.header("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
      value = (await req.formData()).get("username");
    } else value = new URLSearchParams(await text()).get("username");
    return typeof value === "string" && value !== "" ? value : null;
  } catch {
    return null;
  }
}

/** Every policy that applies to the request, in the order they are reported. */
export async function policiesFor(c: Context<AppEnv>, config: RateLimitConfig): Promise<Policy[]> {
  const path = c.req.path;
  const w = config.windowSeconds;
  const caller = await callerKey(c);
  const policies: Policy[] = [];
  if (isCredentialPath(path)) {
    policies.push({ name: "login-ip", key: `login-ip:${clientIp(c)}`, limit: config.login, windowSeconds: w });
    const username = await usernameOf(c);
    if (username !== null) {
      const key = `login-user:${await sha256Hex(username)}`;
      policies.push({ name: "login-user", key, limit: config.login, windowSeconds: w });
    }
  }
  if (LEAD_RESULT_PATH.test(path)) {
    policies.push({ name: "lead-result", key: `lead-result:${caller}`, limit: config.leadResult, windowSeconds: w });
  }
  policies.push({ name: "total", key: `total:${caller}`, limit: config.total, windowSeconds: w });
  return policies;
}
