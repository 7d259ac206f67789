import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { randomToken } from "../auth/crypto";
import type { AppEnv } from "../env";
import { DEMO, demoKeys } from "../openapi/demo";
import { OPENAPI_PATH, openApiDocument } from "../openapi/document";

// GET /api/openapi.json: the OpenAPI 3.1 document (src/openapi). GET /docs: the browsable reference,
// Scalar's API reference rendering that document. The page loads Scalar's standalone bundle from
// our own static assets (admin/vite.config.ts copies it there at build), never from a CDN, so it
// works offline under `npm run dev`.

/** Where the build puts @scalar/api-reference's standalone bundle (a static asset). */
export const SCALAR_BUNDLE_PATH = "/docs-assets/scalar-api-reference.js";

/**
 * The page needs its own policy (every other answer forbids scripts): Scalar's script from our
 * origin, the inline start-up script by nonce, inline styles (the renderer sets them), and
 * requests to this origin only (the document and "try it").
 */
const docsPolicy = (nonce: string) =>
  [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");

export const apiReference = new Hono<AppEnv>();

apiReference.get(OPENAPI_PATH, async (c) => c.json(await openApiDocument(c.env)));

apiReference.get(
  "/docs",
  Scalar<AppEnv>(async (c) => {
    const nonce = randomToken();
    c.header("Content-Security-Policy", docsPolicy(nonce));
    // Locally the "try it" forms come filled with the demo's keys, so they work as printed.
    const keys = c.env.ENVIRONMENT === "local" ? await demoKeys() : null;
    return {
      url: OPENAPI_PATH,
      cdn: SCALAR_BUNDLE_PATH,
      nonce,
      pageTitle: `leadflare API reference (${c.env.ENTERPRISE})`,
      // Nothing outside this origin: no web fonts, telemetry, AI agent or MCP links.
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      documentDownloadType: "json",
      // Every surface open in the sidebar; no toolbar (its links lead to Scalar's services).
      defaultOpenAllTags: true,
      showDeveloperTools: "never",
      ...(keys
        ? {
            authentication: {
              preferredSecurityScheme: "apiKey",
              securitySchemes: { apiKey: { value: DEMO.apiKey601 }, campaignKey: { value: keys.campaignKey } },
            },
          }
        : {}),
    };
  }),
);
