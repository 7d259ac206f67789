import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Enterprises, startEnterprises } from "./harness";

// Convertr Connect across two real enterprises (each its own workerd, D1, Durable Objects and
// Queues): agency captures a lead on campaign 701; its Processr passes it; job 7102 gets a token
// from acme's /oauth/v2/token with the API-key grant and delivers the lead into acme's campaign 601
// as publisher 13 through the documented publisher API, with the fixture's mapping; acme
// advertises sync tags (/.well-known/leadflare), so the job subscribes and acme's verdicts come
// back to agency through signed callbacks. Then acme goes down for a while.

const AGENCY_KEY = "7e6d5c4b3a29180f7e6d5c4b3a291800"; // agency campaign 701, publisher 5
const run = Date.now().toString(36);

interface Delivery {
  status: string;
  attempts: number;
  remote_lead_id: string | null;
  remote_lead_hash: string | null;
  last_error: string | null;
  last_sync_event_id: number | null;
}

/** Polls until `f` returns a value (not undefined/null/false), or fails after `ms`. */
async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

describe("Convertr Connect between agency and acme", () => {
  let ent: Enterprises;
  let acmeAdmin: string;
  beforeAll(async () => {
    ent = await startEnterprises();
    const res = await fetch(`${ent.urls.acme}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin@acme.test", password: "acme-admin-2026!" }).toString(),
    });
    acmeAdmin = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await ent?.stop();
  });

  async function capture(firstName: string, surname: string, emailAddress: string): Promise<number> {
    const body = new URLSearchParams({
      "form[firstName]": firstName, "form[surname]": surname, "form[emailAddress]": emailAddress, "form[phone]": "07700900001",
    });
    const res = await fetch(`${ent.urls.agency}/api/v2.4/publisher/5/forms/71/campaign/701/leads?linkId=81`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": AGENCY_KEY },
      body: body.toString(),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { data: number }).data;
  }

  const delivery = async (leadId: number) =>
    (await ent.query<Delivery>("agency", `SELECT * FROM integration_deliveries WHERE lead_id = ${leadId} AND campaign_processr_job_id = 7102`))[0];
  const agencyFlag = async (leadId: number) => (await ent.query<{ flag: string | null }>("agency", `SELECT flag FROM leads WHERE id = ${leadId}`))[0]?.flag;
  const acmeLead = async (id: number) =>
    (await ent.query<{ flag: string | null; publisher_id: number; campaign_id: number; form_id: number; link_id: number; lead_hash: string }>(
      "acme", `SELECT flag, publisher_id, campaign_id, form_id, link_id, lead_hash FROM leads WHERE id = ${id}`,
    ))[0];

  it("is configured with acme's OAuth client as acme's admins see it, and a campaign-publisher API key", async () => {
    const res = await fetch(`${ent.urls.acme}/api/v4/oauth-clients`, { headers: { Authorization: `Bearer ${acmeAdmin}` } });
    const [client] = ((await res.json()) as { "hydra:member": { clientId: string; clientSecret: string }[] })["hydra:member"];
    const [job] = await ent.query<{ config: string }>("agency", "SELECT config FROM campaign_processr_jobs WHERE id = 7102");
    const config = JSON.parse(job!.config) as Record<string, unknown>;
    expect(config).toMatchObject({ enterpriseUrl: ent.urls.acme, clientId: client!.clientId, clientSecret: client!.clientSecret, publisherId: 13, campaignId: 601 });
    // Served by the Worker, not by the console's single-page fallback.
    const doc = await fetch(`${ent.urls.acme}/.well-known/leadflare`);
    expect(await doc.json()).toMatchObject({ extensions: { syncSubscriptions: "/api/sync/subscriptions" } });
  });

  it("delivers a Valid agency lead into acme 601 as publisher 13, and acme's verdicts sync back", async () => {
    const email = `grace.${run}@example.org`;
    const leadId = await capture("Grace", "Hopper", email);
    await until("agency's Processr to pass the lead", async () => (await agencyFlag(leadId)) === "Valid");
    const d = await until("the delivery into acme", async () => {
      const row = await delivery(leadId);
      return row?.status === "delivered" ? row : undefined;
    });
    const remoteId = Number(d.remote_lead_id);
    expect(await acmeLead(remoteId)).toMatchObject({ campaign_id: 601, publisher_id: 13, form_id: 35, link_id: 25, lead_hash: d.remote_lead_hash });
    // One call on acme: the documented lead POST, carrying the subscription in leadflare's headers
    // (acme advertises syncWithLead; any other client gets the lead POST, then the subscription call).
    const calls = await ent.query<{ message: string }>("agency", `SELECT message FROM logs WHERE type = 'provider' AND lead_id = ${leadId} ORDER BY id`);
    expect(calls.map((c) => c.message)).toEqual([
      expect.stringContaining(`POST ${ent.urls.acme}/api/v2.4/publisher/13/forms/35/campaign/601/leads?linkId=25 → 201`),
    ]);
    expect(calls[0]!.message).toContain("sync tags placed with the lead");
    const datas = await ent.query<{ name: string; value: string }>("acme", `SELECT name, value FROM lead_datas WHERE lead_id = ${remoteId} AND type = 'core.data'`);
    expect(Object.fromEntries(datas.map((r) => [r.name, r.value]))).toEqual({ firstName: "Grace", lastName: "Hopper", email });

    // acme's Processr outcome (Valid) comes back through the sync tag.
    await until("acme's Processr", async () => (await acmeLead(remoteId))?.flag === "Valid");
    await until("the Valid callback", async () => (await delivery(leadId))?.last_sync_event_id);
    expect(await agencyFlag(leadId)).toBe("Valid");

    // acme's client invalidates the lead with the validation webhook: agency sees Invalid and the reason.
    const res = await fetch(`${ent.urls.acme}/api/webhook/invalidate/${d.remote_lead_hash}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${acmeAdmin}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ reason: "Email bounced", user: "qa@acme.test" }).toString(),
    });
    expect(res.status).toBe(201);
    await until("the Invalid callback", async () => (await agencyFlag(leadId)) === "Invalid");
    const [note] = await ent.query<{ author: string; reason: string; to_flag: string }>(
      "agency", `SELECT author, reason, to_flag FROM lead_notes WHERE lead_id = ${leadId} AND to_flag IS NOT NULL ORDER BY id DESC LIMIT 1`,
    );
    expect(note).toEqual({ author: `sync:${ent.urls.acme}`, reason: "Email bounced", to_flag: "Invalid" });
  }, 180_000);

  it("loses nothing while acme is down: the delivery is retried until acme is back, and lands once", async () => {
    await ent.stopEnterprise("acme");
    const email = `ada.${run}@example.org`;
    const leadId = await capture("Ada", "Lovelace", email);
    const failed = await until("a failed attempt while acme is down", async () => {
      const row = await delivery(leadId);
      return row && row.attempts >= 1 && row.status === "pending" ? row : undefined;
    });
    expect(failed.last_error).toMatch(/Network error|No response/);
    await ent.restart("acme");
    const d = await until("the delivery after acme came back", async () => {
      const row = await delivery(leadId);
      return row?.status === "delivered" ? row : undefined;
    }, 90_000);
    expect(d.attempts).toBeGreaterThanOrEqual(2);
    const copies = await ent.query<{ n: number }>("acme", `SELECT count(*) AS n FROM leads WHERE email = '${email}'`);
    expect(copies[0]!.n).toBe(1);
    await until("the sync callback of the late lead", async () => (await delivery(leadId))?.last_sync_event_id, 60_000);
    expect(await agencyFlag(leadId)).toBe("Valid");
    const logs = await ent.query<{ level: string }>("agency", `SELECT level FROM logs WHERE type = 'provider' AND lead_id = ${leadId} ORDER BY id`);
    expect(logs.map((l) => l.level)).toContain("warning");
  }, 180_000);
});
