import type { Context } from "hono";
import { z } from "zod";
import { readBearerToken } from "../auth/authenticate";
import { sha256Hex, timingSafeEqual } from "../auth/crypto";
import { apiKeyGrantCaller } from "../auth/publisher-tokens";
import { verifyAccessToken } from "../auth/tokens";
import { verifiedKeyDigest } from "../auth/verified-keys";
import type { AppEnv, Env } from "../env";
import { bodyKind, MAX_BODY_BYTES, parseMultipart } from "../http/body";
import { readLimited } from "../http/read-limited";
import { webhookKey } from "../routes/campaign-webhook/auth";
import { presentedWebhookKey } from "../routes/webhooks/common";

// Which limits apply to a request, and under which keys (issue 7, Convertr's published rate limits).

export type PolicyName = "login-ip" | "login-user" | "lead-result" | "total" | "ip";

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
  /** Per client IP, for requests that carry a verified credential (see policiesFor). */
  ip: number;
}

const positiveInt = z.string().trim().regex(/^[1-9]\d{0,9}$/, "must be a positive integer").transform(Number);
const configSchema = z.object({
  RATE_LIMIT_WINDOW_SECONDS: positiveInt,
  RATE_LIMIT_LOGIN: positiveInt,
  RATE_LIMIT_LEAD_RESULT: positiveInt,
  RATE_LIMIT_TOTAL: positiveInt,
  RATE_LIMIT_IP: positiveInt.optional(),
});

// Unset RATE_LIMIT_IP: one address may carry a few credentials' worth of traffic (a publisher's
// server sending for several campaigns), and a raised total (the bench profile) raises it too.
const IP_LIMIT_PER_TOTAL = 4;

// The last configuration parsed, by the vars it came from: vars change only with a deployment (or
// a test), and parsing them with zod on every request cost more than the rest of the limiter.
let lastConfig: { vars: string; config: RateLimitConfig } | null = null;

/** The limits from the wrangler.toml vars, read per request so a deployment (or a test) can change them. */
export function rateLimitConfig(env: Env): RateLimitConfig {
  const vars = JSON.stringify([
    env.RATE_LIMIT_WINDOW_SECONDS, env.RATE_LIMIT_LOGIN, env.RATE_LIMIT_LEAD_RESULT, env.RATE_LIMIT_TOTAL, env.RATE_LIMIT_IP,
  ]);
  if (lastConfig?.vars === vars) return lastConfig.config;
  const config = parseRateLimitConfig(env);
  lastConfig = { vars, config };
  return config;
}

function parseRateLimitConfig(env: Env): RateLimitConfig {
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
    ip: v.RATE_LIMIT_IP ?? v.RATE_LIMIT_TOTAL * IP_LIMIT_PER_TOTAL,
  };
}

// Endpoints that take a password or a one-time code: limited like login, per IP and per username.
const CREDENTIAL_PATH = /^\/(api\/(login|password-reset(\/confirm)?)|oauth\/v2\/token)\/?$/;
const TOKEN_PATH = /^\/oauth\/v2\/token\/?$/;
// Every version spelling the publisher API's routes serve (src/routes/publisher: v2 and v2.x).
const LEAD_RESULT_PATH = /^\/api\/v2(?:\.\d+)?\/publisher\/[^/]+\/lead-result\/[^/]+\/?$/;

export const isCredentialPath = (path: string) => CREDENTIAL_PATH.test(path);

/**
 * The client's address as the limits key it. An IPv6 client counts by its /64, the block one
 * subscriber is given, so that cycling addresses inside it opens no new budgets.
 */
export function clientIp(c: Context<AppEnv>): string {
  const addr = c.req.header("CF-Connecting-IP")?.trim() || "unknown";
  return addr.includes(":") ? ipv6Block(addr) : addr;
}

function ipv6Block(addr: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(addr);
  if (mapped) return mapped[1]!;
  const halves = addr.toLowerCase().split("::");
  if (halves.length > 2) return addr;
  const part = (s: string | undefined) => (s ? s.split(":") : []);
  const [head, tail] = [part(halves[0]), part(halves[1])];
  const groups = halves.length === 1 ? head : [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return addr;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}

const CAMPAIGN_WEBHOOK_PREFIX = "/webhook/campaign/";

/**
 * The verified principal a request counts under, or null. Nothing here reads the database: a user
 * token is checked by its signature, an API key counts only once a route of this isolate has found
 * it live (src/auth/verified-keys.ts), and the enterprise webhook key is compared with the secret.
 * The key is read where its route reads it (the campaign webhook: ?apikey= before X-Api-Key).
 */
async function verifiedCaller(c: Context<AppEnv>): Promise<string | null> {
  try {
    const token = readBearerToken(c);
    if (token) {
      // A token of the API-key grant counts as its campaign publisher, like the key itself would.
      const campaignPublisher = await apiKeyGrantCaller(c.env, token);
      if (campaignPublisher !== null) return `cp:${campaignPublisher}`;
      return `user:${(await verifyAccessToken(c.env, token)).principal.userId}`;
    }
  } catch {
    // Not a valid user token: the keys, or nobody.
  }
  const apiKey = c.req.path.startsWith(CAMPAIGN_WEBHOOK_PREFIX) ? webhookKey(c) : (c.req.header("X-Api-Key") ?? null);
  const digest = apiKey === null ? null : await verifiedKeyDigest(apiKey);
  if (digest !== null) return `apikey:${digest}`;
  const enterpriseKey = presentedWebhookKey(c);
  const expected = c.env.WEBHOOK_KEY;
  if (enterpriseKey !== undefined && expected && timingSafeEqual(enterpriseKey, expected)) return "webhook-key";
  return null;
}

/**
 * The username of a credential request, read from a clone of the body so the handler can still
 * read it. Anything unreadable gives null: the handler reports the error, not the limiter.
 */
async function usernameOf(c: Context<AppEnv>): Promise<string | null> {
  // /oauth/v2/token also takes its parameters in the query string; as there, the body wins.
  const fromBody = await bodyUsernameOf(c);
  if (fromBody !== null || !TOKEN_PATH.test(c.req.path)) return fromBody;
  return c.req.query("username") || null;
}

async function bodyUsernameOf(c: Context<AppEnv>): Promise<string | null> {
  if (c.req.method !== "POST" || Number(c.req.header("Content-Length") ?? "0") > MAX_BODY_BYTES) return null;
  const kind = bodyKind(c);
  if (kind === null) return null;
  try {
    // A clone read only up to the body limit: a chunked body has no Content-Length to check first.
    const { bytes, truncated } = await readLimited(c.req.raw.clone().body, MAX_BODY_BYTES);
    if (truncated) return null;
    const text = () => new TextDecoder().decode(bytes);
    let value: unknown;
    if (kind === "json") value = (JSON.parse(text()) as Record<string, unknown> | null)?.username;
    else if ((c.req.header("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
      value = (await parseMultipart(c.req.header("Content-Type")!, bytes)).get("username");
    } else value = new URLSearchParams(text()).get("username");
    return typeof value === "string" && value !== "" ? value : null;
  } catch {
    return null;
  }
}

/** Every policy that applies to the request, in the order they are reported. */
export async function policiesFor(c: Context<AppEnv>, config: RateLimitConfig): Promise<Policy[]> {
  const path = c.req.path;
  const w = config.windowSeconds;
  const ip = clientIp(c);
  // No verified credential (none, a forged token, a made-up key): the IP is the caller, so
  // inventing credentials creates neither budgets nor Durable Objects.
  const caller = (await verifiedCaller(c)) ?? `ip:${ip}`;
  const policies: Policy[] = [];
  if (isCredentialPath(path)) {
    policies.push({ name: "login-ip", key: `login-ip:${ip}`, limit: config.login, windowSeconds: w });
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
  // The IP always has a budget too: credentials (a campaign key is public on its landing pages)
  // do not multiply what one address may send. Without one, "total" above is the IP's budget.
  if (caller !== `ip:${ip}`) policies.push({ name: "ip", key: `ip:${ip}`, limit: config.ip, windowSeconds: w });
  return policies;
}
