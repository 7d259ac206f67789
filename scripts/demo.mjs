// `npm run demo`: acme on 127.0.0.1:8787 and agency on 127.0.0.1:8788, each with its own state.
import { serveDemo } from "./lib/enterprise.mjs";

serveDemo(["acme", "agency"]).catch((e) => {
  console.error(`[leadflare] ${e.message}`);
  process.exit(1);
});
