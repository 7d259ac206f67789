import type { Env } from "../../src/env";

/** Vars and secrets of a correctly configured deployment, laid over the test env with fetchWith. */
export const PRODUCTION = {
  ENVIRONMENT: "production",
  BASE_URL: "https://leads.acme.example",
  SMS_PROVIDER: "twilio",
  ALLOW_PRIVATE_OUTBOUND: "false",
  CORS_ORIGINS: "",
  JWT_SECRET: "production-test-jwt-secret-".padEnd(48, "j"),
  WEBHOOK_KEY: "production-test-webhook-key-".padEnd(48, "w"),
} satisfies Partial<Env>;
