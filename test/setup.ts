import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Each test file gets its own storage: migrate it and load the acme demo enterprise once.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
const seeded = await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>();
if (!seeded?.n) await env.DB.batch(env.TEST_SEED.map((sql) => env.DB.prepare(sql)));
