import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// The archive reads, unlinks and restores a lead's idempotency keys by lead id, and deleting an
// archived lead checks idempotency_keys' foreign key: each must find the keys through
// idempotency_keys_lead_idx, not by reading every key ever taken (one per keyed capture).

const plan = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...binds).all<{ detail: string }>()).results.map((r) => r.detail).join("\n");

describe("idempotency_keys by lead", () => {
  it("the archive's read of a batch's keys searches the index", async () => {
    const detail = await plan(`SELECT * FROM idempotency_keys WHERE lead_id IN (SELECT value FROM json_each(?1)) ORDER BY rowid`, "[1,2]");
    expect(detail).toMatch(/SEARCH idempotency_keys USING INDEX idempotency_keys_lead_idx \(lead_id=\?\)/);
    expect(detail).not.toMatch(/SCAN idempotency_keys/);
  });

  it("a lead's keys, as the foreign key check looks them up, search the index", async () => {
    const detail = await plan(`SELECT 1 FROM idempotency_keys WHERE lead_id = ?1`, 1);
    expect(detail).toMatch(/USING (COVERING )?INDEX idempotency_keys_lead_idx/);
  });
});
