// `npm run dev [-- <enterprise>…] [--port <port>]`: serves one demo enterprise (acme by default) on
// its demo port, or on --port (one enterprise only).
import { parseArgs } from "node:util";
import { DEMO_PORTS, serveDemo } from "./lib/enterprise.mjs";

async function main() {
  const { values, positionals } = parseArgs({ options: { port: { type: "string" } }, allowPositionals: true });
  const names = positionals.length ? positionals : ["acme"];
  if (values.port === undefined) return serveDemo(names);
  const port = Number(values.port);
  if (names.length !== 1 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error("--port takes a port number (1-65535) and serves one enterprise");
  }
  return serveDemo(names, { ...DEMO_PORTS, [names[0]]: port });
}

main().catch((e) => {
  console.error(`[leadflare] ${e.message}`);
  process.exit(1);
});
