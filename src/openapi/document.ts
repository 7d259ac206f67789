import type { Env } from "../env";
import { DEMO, DEMO_ENTERPRISE, demoKeys } from "./demo";
import { componentSchemas } from "./json-schema";
import { operation } from "./operation";
import { authSurface } from "./surfaces/auth";
import { campaignWebhookSurface } from "./surfaces/campaign-webhook";
import { publisherSurface } from "./surfaces/publisher";
import type { Surface } from "./surfaces/surface";
import { syncSurface } from "./surfaces/sync";
import { v4Surface } from "./surfaces/v4";
import { webhooksSurface } from "./surfaces/webhooks";

// The OpenAPI 3.1 document of every surface but the v4 API's resources (which Hydra describes),
// served at /api/openapi.json and rendered at /docs. It is built per origin (servers, curl
// samples) and kept for the isolate's life: nothing in it changes while the Worker runs.

export const OPENAPI_PATH = "/api/openapi.json";

const SECURITY_SCHEMES = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from `POST /api/login` or `/oauth/v2/token` (an hour); a user's, or the API-key grant's where the operation takes campaign publisher keys.",
  },
  apiKey: { type: "apiKey", in: "header", name: "X-Api-Key", description: "A campaign publisher key (the publisher's API credentials for one campaign)." },
  campaignKey: { type: "apiKey", in: "query", name: "apikey", description: "The campaign's key or a landing-page key." },
  campaignKeyHeader: { type: "apiKey", in: "header", name: "X-Api-Key", description: "The campaign's key or a landing-page key, as a header." },
  webhookKey: { type: "apiKey", in: "header", name: "X-Webhook-Key", description: "The enterprise webhook key (WEBHOOK_KEY)." },
  webhookKeyQuery: { type: "apiKey", in: "query", name: "key", description: "The enterprise webhook key, in the query." },
  oauthClient: { type: "http", scheme: "basic", description: "The enterprise's OAuth client: client_id and client_secret (or give them as parameters)." },
};

function introduction(base: string): string {
  return [
    "leadflare is an open-source, Convertr-compatible lead exchange on Cloudflare Workers. This reference covers every HTTP surface a publisher or an integrator meets: " +
      "authentication, Convertr's publisher API, the campaign webhook, the webhooks a client calls about delivered leads, and sync tags (with the callbacks leadflare sends). " +
      "The v4 API describes itself in Hydra; its section says how to use it.",
    "",
    `The examples use the demo data of the \`${DEMO_ENTERPRISE}\` enterprise that \`npm run dev\` serves at http://127.0.0.1:8787 (publisher ${DEMO.publisherId}, campaign ${DEMO.campaignId}, form ${DEMO.formId}, link ${DEMO.linkId}, ` +
      `lead ${DEMO.leadId}); every curl sample runs as printed there. This document: [\`${OPENAPI_PATH}\`](${base}${OPENAPI_PATH}).`,
    "",
    "Each surface answers errors in its own documented shape: OAuth bodies (`error`, `error_description`) for tokens, `{\"code\",\"message\"}` for the publisher API and the webhooks, Hydra errors for v4. " +
      "Requests are rate limited per caller in rolling 5-minute windows (Convertr's published limits); a 429 says when to retry.",
  ].join("\n");
}

async function build(env: Env, base: string) {
  const keys = await demoKeys();
  const surfaces: Surface[] = [
    authSurface,
    publisherSurface,
    campaignWebhookSurface(keys),
    webhooksSurface(keys),
    syncSurface(keys),
    v4Surface(base),
  ];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const s of surfaces) {
    for (const op of s.operations) (paths[op.path] ??= {})[op.method] = operation(base, op);
  }
  // One name, one schema: a name given twice is a mistake, never an override.
  const merge = <T>(pick: (s: Surface) => Record<string, T> | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [name, v] of surfaces.flatMap((s) => Object.entries(pick(s) ?? {}))) {
      if (Object.hasOwn(out, name)) throw new Error(`OpenAPI: "${name}" is declared twice`);
      out[name] = v;
    }
    return out;
  };
  return {
    openapi: "3.1.1",
    info: {
      title: `leadflare API (${env.ENTERPRISE})`,
      version: "1.0.0",
      description: introduction(base),
    },
    servers: [{ url: base, description: `The ${env.ENTERPRISE} enterprise` }],
    tags: surfaces.map((s) => s.tag),
    paths,
    webhooks: merge((s) => s.webhooks),
    components: {
      schemas: merge((s) => ({ ...componentSchemas("input", s.requests), ...componentSchemas("output", s.responses) })),
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

// Built documents, never a pending build: a request must not wait on another request's promise
// (if that request were cancelled, the promise could stay unsettled and the waiter would hang).
const cache = new Map<string, Record<string, unknown>>();

/** The document for this deployment's public origin. */
export async function openApiDocument(env: Env): Promise<Record<string, unknown>> {
  const base = env.BASE_URL.replace(/\/+$/, "");
  const key = `${env.ENTERPRISE} ${base}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const doc = await build(env, base);
  cache.set(key, doc);
  return doc;
}
