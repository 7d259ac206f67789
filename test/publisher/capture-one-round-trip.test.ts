import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWith, count, formBody, KEYS, leadsPath, roundTripCounter } from "./support";

// Capture's happy path in one D1 round trip (src/leads/capture-cache.ts): once a request shape has
// been captured, the next capture sends only a guarded write batch, and every fact it did not read
// again is re-checked inside that transaction.

let n = 0;
async function capture(db: D1Database = env.DB, query = "?linkId=25", headers: Record<string, string> = {}, email?: string): Promise<Response> {
  n += 1;
  return callWith({ DB: db }, leadsPath(12, 35, 601, query), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": KEYS.northwind601, "CF-Connecting-IP": `198.51.100.${n % 250}`, ...headers },
    body: formBody({ firstName: "Ada", lastName: "Lovelace", email: email ?? `ada.${n}@example.com` }),
  });
}

const leads601 = () => count("SELECT count(*) AS n FROM leads WHERE campaign_id = 601");
const run = (sql: string, ...binds: unknown[]) => env.DB.prepare(sql).bind(...binds).run();

describe("lead capture in one D1 round trip", () => {
  it("captures a repeated request shape with one write batch, storing what the two-batch path stores", async () => {
    expect((await capture()).status).toBe(201);
    const d1 = roundTripCounter();
    const before = await env.DB.prepare("SELECT total_leads, processing_leads FROM campaign_statistics WHERE campaign_id = 601")
      .first<{ total_leads: number; processing_leads: number }>();
    const res = await capture(d1.db);
    expect(res.status).toBe(201);
    expect(d1.trips).toBe(1);
    const id = ((await res.json()) as { data: number }).data;
    const lead = await env.DB.prepare("SELECT campaign_id, publisher_id, form_id, link_id, email, processr_status FROM leads WHERE id = ?")
      .bind(id).first();
    expect(lead).toEqual({ campaign_id: 601, publisher_id: 12, form_id: 35, link_id: 25, email: `ada.${n}@example.com`, processr_status: 0 });
    expect(await count("SELECT count(*) AS n FROM lead_datas WHERE lead_id = ?", id)).toBe(4);
    const after = await env.DB.prepare("SELECT total_leads, processing_leads FROM campaign_statistics WHERE campaign_id = 601")
      .first<{ total_leads: number; processing_leads: number }>();
    expect(after).toEqual({ total_leads: before!.total_leads + 1, processing_leads: before!.processing_leads + 1 });
  });

  it("takes the same one write batch with an Idempotency-Key; a retry replays the first answer and another request with that key gets 422, writing nothing", async () => {
    expect((await capture()).status).toBe(201);
    const key = { "Idempotency-Key": `one-trip-${crypto.randomUUID()}` };
    const d1 = roundTripCounter();
    const res = await capture(d1.db, "?linkId=25", key, "grace@example.com");
    expect(res.status).toBe(201);
    expect(d1.trips).toBe(1);
    const first = await res.text();
    const total = await leads601();
    const retry = await capture(env.DB, "?linkId=25", key, "grace@example.com");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await retry.text()).toBe(first);
    const other = await capture(env.DB, "?linkId=25", key, "someone.else@example.com");
    expect(other.status).toBe(422);
    expect(await leads601()).toBe(total);
  });

  it("a burst on a new request shape reads it (no capture waits on another's read), and the next burst only writes", async () => {
    const first = roundTripCounter();
    const answers = await Promise.all(Array.from({ length: 20 }, () => capture(first.db, "")));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(201));
    // At most a read and a write batch each.
    expect(first.trips).toBeLessThanOrEqual(40);
    const next = roundTripCounter();
    const again = await Promise.all(Array.from({ length: 20 }, () => capture(next.db, "")));
    expect(again.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(next.trips).toBe(20);
  });

  it("still answers a refusal the documented way, from a fresh read, when a cached fact changed", async () => {
    const past = Date.now() - 86_400_000;
    const future = Date.now() + 86_400_000;
    const cases: [change: string, set: () => Promise<unknown>, undo: () => Promise<unknown>, status: number, message?: string][] = [
      ["paused", () => run("UPDATE campaigns SET paused = 1 WHERE id = 601"), () => run("UPDATE campaigns SET paused = 0 WHERE id = 601"), 403, "Campaign is paused"],
      ["contract unsigned", () => run("UPDATE campaigns SET contract_signed = 0 WHERE id = 601"), () => run("UPDATE campaigns SET contract_signed = 1 WHERE id = 601"), 403, "Campaign setup is not complete"],
      ["ended", () => run("UPDATE campaigns SET end_ts = ?1 WHERE id = 601", past), () => run("UPDATE campaigns SET end_ts = ?1 WHERE id = 601", future * 10), 403, "Campaign has ended"],
      ["not started", () => run("UPDATE campaigns SET start_ts = ?1 WHERE id = 601", future), () => run("UPDATE campaigns SET start_ts = ?1 WHERE id = 601", past), 403, "Campaign has not started yet"],
      ["deleted", () => run("UPDATE campaigns SET deleted_ts = ?1 WHERE id = 601", past), () => run("UPDATE campaigns SET deleted_ts = NULL WHERE id = 601"), 401],
      ["publisher contract unsigned", () => run("UPDATE campaign_publishers SET signed = 0 WHERE campaign_id = 601 AND publisher_id = 12"), () => run("UPDATE campaign_publishers SET signed = 1 WHERE campaign_id = 601 AND publisher_id = 12"), 403, "Campaign publisher contract is not signed"],
      ["link disabled", () => run("UPDATE links SET enabled = 0 WHERE id = 25"), () => run("UPDATE links SET enabled = 1 WHERE id = 25"), 404, "Campaign Link not found"],
      ["key rotated", () => run("UPDATE campaign_publishers SET api_key = 'rotated-away' WHERE api_key = ?1", KEYS.northwind601), () => run("UPDATE campaign_publishers SET api_key = ?1 WHERE api_key = 'rotated-away'", KEYS.northwind601), 401],
      ["new required field", () => run("INSERT INTO form_fields (form_id, name, type, required, position) VALUES (35, 'companyName', 'text', 1, 99)"), () => run("DELETE FROM form_fields WHERE form_id = 35 AND name = 'companyName'"), 400],
      ["field became a number", () => run("UPDATE form_fields SET type = 'number' WHERE form_id = 35 AND name = 'lastName'"), () => run("UPDATE form_fields SET type = 'text' WHERE form_id = 35 AND name = 'lastName'"), 400],
      ["field renamed", () => run("UPDATE form_fields SET name = 'surname' WHERE form_id = 35 AND name = 'lastName'"), () => run("UPDATE form_fields SET name = 'lastName' WHERE form_id = 35 AND name = 'surname'"), 400],
      ["field removed", async () => {
        await run("CREATE TABLE removed_field AS SELECT * FROM form_fields WHERE form_id = 35 AND name = 'lastName'");
        await run("DELETE FROM form_fields WHERE form_id = 35 AND name = 'lastName'");
      }, async () => {
        await run("INSERT INTO form_fields SELECT * FROM removed_field");
        await run("DROP TABLE removed_field");
      }, 400],
      ["fulfilled", () => run("UPDATE campaigns SET uncapped = 0, leads_required = (SELECT billable_leads + processing_leads FROM campaign_statistics WHERE campaign_id = 601) WHERE id = 601"), () => run("UPDATE campaigns SET leads_required = 1000000 WHERE id = 601"), 403, "Campaign is fulfilled"],
    ];
    for (const [change, set, undo, status, message] of cases) {
      expect((await capture()).status, `${change}: warm`).toBe(201);
      const d1 = roundTripCounter();
      expect((await capture(d1.db)).status, `${change}: cached`).toBe(201);
      expect(d1.trips, `${change}: one round trip while nothing changed`).toBe(1);
      await set();
      const total = await leads601();
      const refused = await capture();
      expect(refused.status, change).toBe(status);
      if (message) expect(((await refused.json()) as { message: string }).message, change).toBe(message);
      expect(await leads601(), `${change}: nothing written`).toBe(total);
      await undo();
      expect((await capture()).status, `${change}: undone`).toBe(201);
    }
  });

  it("keeps the campaign's cap exact under parallel captures with the shape cached", async () => {
    expect((await capture()).status).toBe(201);
    await run(
      "UPDATE campaigns SET uncapped = 0, leads_required = (SELECT billable_leads + processing_leads FROM campaign_statistics WHERE campaign_id = 601) + 5 WHERE id = 601",
    );
    const total = await leads601();
    const answers = await Promise.all(Array.from({ length: 20 }, () => capture()));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 403)).toHaveLength(15);
    expect(await leads601()).toBe(total + 5);
    const stats = await env.DB.prepare("SELECT total_leads, processing_leads FROM campaign_statistics WHERE campaign_id = 601")
      .first<{ total_leads: number; processing_leads: number }>();
    expect(stats!.total_leads).toBe(await leads601());
    await run("UPDATE campaigns SET leads_required = 1000000 WHERE id = 601");
  });
});
