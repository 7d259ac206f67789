import { defineConfig } from "drizzle-kit";

// One migrations folder feeds `wrangler d1 migrations apply` and the tests alike.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
