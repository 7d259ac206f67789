import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer, call, form } from "../helpers";
import { ACME_CLIENT } from "../integrations/helpers";
import { callWith, count, roundTripCounter } from "./support";

// A lead POST with an API-key grant token (how Convertr Connect delivers): once this isolate has
// found the token's key live and captured the request's shape, the key is checked inside capture's
// guarded write batch, so the capture costs one D1 round trip; a token whose key no longer holds
// still gets its 401 before any other answer, and nothing is written.

const API_KEY = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // campaign 601, publisher 13
const LEAD_PATH = "/api/v2.4/publisher/13/forms/35/campaign/601/leads?linkId=25";

async function grantToken(): Promise<string> {
  const res = await call("/oauth/v2/token", form({
    grant_type: "https://convertr.cvtr.io/grants/api_key", client_id: ACME_CLIENT.clientId, client_secret: ACME_CLIENT.clientSecret, api_key: API_KEY,
  }));
  return ((await res.json()) as { access_token: string }).access_token;
}

let n = 0;
async function post(token: string, db: D1Database = env.DB, opts: { path?: string; headers?: Record<string, string>; email?: string } = {}) {
  n += 1;
  const fields = { "form[firstName]": "Joan", "form[lastName]": "Clarke", "form[email]": opts.email ?? `joan.grant.${n}@bletchley.example` };
  return callWith({ DB: db }, opts.path ?? LEAD_PATH, form(fields, { ...bearer(token), "CF-Connecting-IP": `203.0.113.${n % 250}`, ...opts.headers }));
}

const leads601 = () => count("SELECT count(*) AS n FROM leads WHERE campaign_id = 601");
const rotate = (from: string, to: string) => env.DB.prepare("UPDATE campaign_publishers SET api_key = ?2 WHERE api_key = ?1").bind(from, to).run();

describe("lead capture with an API-key grant token", () => {
  it("costs one D1 round trip once the token's key and the request shape are known (the key checked in the write batch)", async () => {
    const token = await grantToken();
    expect((await post(token)).status).toBe(201);
    const d1 = roundTripCounter();
    const idem = { "Idempotency-Key": `grant-${crypto.randomUUID()}` };
    const res = await post(token, d1.db, { headers: idem, email: "joan.once@bletchley.example" });
    expect(res.status).toBe(201);
    expect(d1.trips).toBe(1);
    const first = await res.text();
    const id = (JSON.parse(first) as { data: number }).data;
    const lead = await env.DB.prepare("SELECT campaign_id, publisher_id FROM leads WHERE id = ?").bind(id).first();
    expect(lead).toEqual({ campaign_id: 601, publisher_id: 13 });
    // A retry (Connect's, after a lost answer): the guarded write found the key live before its
    // Idempotency-Key failed it, so the replay needs only the first answer's read.
    const retry = roundTripCounter();
    const replay = await post(token, retry.db, { headers: idem, email: "joan.once@bletchley.example" });
    expect([replay.status, replay.headers.get("Idempotent-Replayed"), await replay.text()]).toEqual([201, "true", first]);
    expect(retry.trips).toBe(2);
  });

  it("answers 401 and writes nothing once the key was rotated, before any other answer, and recovers when it is back", async () => {
    const token = await grantToken();
    const idem = { "Idempotency-Key": `grant-rotated-${crypto.randomUUID()}` };
    expect((await post(token, env.DB, { headers: idem, email: "joan.idem@bletchley.example" })).status).toBe(201);
    const cases: [what: string, opts: Parameters<typeof post>[2]][] = [
      ["a capture", {}],
      ["a retry of an earlier Idempotency-Key", { headers: idem, email: "joan.idem@bletchley.example" }],
      ["a wrong path id", { path: "/api/v2.4/publisher/13/forms/x/campaign/601/leads" }],
      ["an invalid body", { email: "not an email" }],
    ];
    let refused: unknown = null;
    for (const [what, opts] of cases) {
      // Each case on a key this isolate saw live a moment ago, with the request's shape cached.
      expect((await post(token)).status, `${what}: warm`).toBe(201);
      await rotate(API_KEY, "rotated-away-grant");
      try {
        const total = await leads601();
        const res = await post(token, env.DB, opts);
        expect(res.status, what).toBe(401);
        refused ??= await (await call("/api/sync/credentials", { headers: bearer(token) })).json();
        expect(await res.json(), what).toEqual(refused);
        expect(await leads601(), `${what}: nothing written`).toBe(total);
      } finally {
        await rotate("rotated-away-grant", API_KEY);
      }
    }
    // The answer of the token's own check on another route.
    expect(refused).toMatchObject({ error: "invalid_grant" });
    expect((await post(token)).status).toBe(201);
  });
});
