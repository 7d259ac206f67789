import { readFileSync } from "node:fs";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// The console is a static single-page app: `vite build` writes it to admin/dist, which the Worker
// serves as static assets on its own origin (wrangler.toml [assets]), so there is no second server
// and no CORS. Paths under /api, /oauth, /ajax and /__dev (and /docs) always reach the Worker first.

/**
 * The API reference page (/docs, rendered by the Worker: src/routes/api-reference.ts) loads Scalar's
 * standalone bundle from the same static assets as the console, never from a CDN.
 */
const apiReferenceBundle = (): Plugin => ({
  name: "leadflare-api-reference-bundle",
  generateBundle() {
    const bundle = new URL("../node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url);
    this.emitFile({ type: "asset", fileName: "docs-assets/scalar-api-reference.js", source: readFileSync(bundle) });
  },
});

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  plugins: [react(), apiReferenceBundle()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One report line per chunk with its gzip size: BENCHMARKS.md quotes the first-load figure.
    reportCompressedSize: true,
    chunkSizeWarningLimit: 2048,
  },
});
