import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is a static single-page app: `vite build` writes it to admin/dist, which the Worker
// serves as static assets on its own origin (wrangler.toml [assets]), so there is no second server
// and no CORS. Paths under /api, /oauth, /ajax and /__dev always reach the Worker first.
export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One report line per chunk with its gzip size: BENCHMARKS.md quotes the first-load figure.
    reportCompressedSize: true,
    chunkSizeWarningLimit: 2048,
  },
});
