// `npm run dev [-- <enterprise>…]`: serves one demo enterprise (acme by default) on its demo port.
import { serveDemo } from "./lib/enterprise.mjs";

const names = process.argv.slice(2);
serveDemo(names.length ? names : ["acme"]).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
