import type { MiddlewareHandler } from "hono";
import { LOCAL_DEMO_JWT_SECRET } from "../auth/tokens";
import type { Env } from "../env";
import { isPrivateHost } from "../integrations/outbound-url";

// A deployment (anything but ENVIRONMENT=local) serves nothing until it is configured: its public
// origin is a real https address and its secrets are real random values. Checked on every request
// (a few string tests) rather than once, because vars and secrets change with each deployment.

const MIN_SECRET_LENGTH = 32;

type DeploymentEnv = Pick<Env, "ENVIRONMENT" | "ENTERPRISE" | "BASE_URL" | "JWT_SECRET" | "WEBHOOK_KEY">;

function baseUrlProblem(raw: string | undefined): string | null {
  if (!raw) return "BASE_URL is not set";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "BASE_URL is not an absolute URL";
  }
  if (isPrivateHost(url.hostname)) return "BASE_URL points at a loopback or private address";
  if (url.protocol !== "https:") return "BASE_URL is not an https URL";
  return null;
}

function secretProblem(name: string, value: string | undefined): string | null {
  if (!value) return `${name} is not set`;
  if (value.length < MIN_SECRET_LENGTH) return `${name} is shorter than ${MIN_SECRET_LENGTH} characters`;
  if (value === LOCAL_DEMO_JWT_SECRET) return `${name} is the public demo key`;
  return null;
}

/** What is wrong with this deployment's configuration, in words that never include a value. */
export function deploymentProblems(env: DeploymentEnv): string[] {
  if (env.ENVIRONMENT === "local") return [];
  return [
    env.ENTERPRISE ? null : "ENTERPRISE is not set",
    baseUrlProblem(env.BASE_URL),
    secretProblem("JWT_SECRET", env.JWT_SECRET),
    secretProblem("WEBHOOK_KEY", env.WEBHOOK_KEY),
  ].filter((p): p is string => p !== null);
}

/**
 * Refuses every request of a misconfigured deployment with a 503 that names what to fix, and logs
 * the same line (seen in `wrangler tail`).
 */
export const refuseMisconfigured: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const problems = deploymentProblems(c.env);
  if (problems.length === 0) return next();
  const message = `leadflare is not configured for this deployment: ${problems.join("; ")}.`;
  console.error(message);
  return c.json({ code: 503, message }, 503);
};
