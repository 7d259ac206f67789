import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it, vi } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { transitionLead } from "../../src/leads/client";
import { bearer, call, DEMO, form, loginAs } from "../helpers";
import { ACME_CLIENT, delivery, type FetchHandler, insertJob, insertLead, providerLogs, recordingEnv, SELF_ORIGIN, stubFetch, toSelf } from "./helpers";

// "acme delivers to acme": a Convertr Connect job on campaign 602 forwards leads into campaign 601
// as publisher 13, through this very Worker's publisher API, and places sync tags, so that the
// verdicts of campaign 601 (Processr, validation webhooks, deletion) come back to the source lead.

const API_KEY = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // campaign 601, publisher 13
const config = {
  enterpriseUrl: SELF_ORIGIN, clientId: ACME_CLIENT.clientId, clientSecret: ACME_CLIENT.clientSecret,
  apiKey: API_KEY, publisherId: 13, campaignId: 601, formId: 35, linkId: 25,
  mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: true,
};

// Every callback the lead object sends is checked with the independent standardwebhooks library.
const verified: { id: string; body: Record<string, unknown> }[] = [];
const handler: { current: FetchHandler } = { current: toSelf };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

async function verifyingSelf(req: Request): Promise<Response> {
  if (new URL(req.url).pathname === "/api/webhook/sync") {
    const body = await req.clone().text();
    const remoteLeadId = String((JSON.parse(body) as { leadId: number }).leadId);
    const row = await env.DB.prepare("SELECT sync_secret FROM integration_deliveries WHERE remote_lead_id = ?").bind(remoteLeadId).first<{ sync_secret: string }>();
    const payload = new Webhook(row!.sync_secret).verify(body, Object.fromEntries(req.headers)) as Record<string, unknown>;
    verified.push({ id: req.headers.get("webhook-id")!, body: payload });
  }
  return toSelf(req);
}
handler.current = verifyingSelf;

const leadsOf601 = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM leads WHERE campaign_id = 601 AND publisher_id = 13").first<{ n: number }>())!.n;
const flagOf = async (id: number) => (await env.DB.prepare("SELECT flag FROM leads WHERE id = ?").bind(id).first<{ flag: string | null }>())!.flag;
const lastNote = (id: number) =>
  env.DB.prepare("SELECT author, reason, from_flag, to_flag FROM lead_notes WHERE lead_id = ? AND to_flag IS NOT NULL ORDER BY id DESC")
    .bind(id)
    .first<{ author: string; reason: string | null; from_flag: string | null; to_flag: string }>();
const waitFor = <T>(f: () => Promise<T>) => vi.waitFor(f, { timeout: 20_000, interval: 100 });

describe("Convertr Connect into the same enterprise", () => {
  const jobId = insertJob(602, "convertr_connect", config, "Convertr Connect: Acme");

  it("delivers with the field mapping, as the client's publisher, and places sync tags", async () => {
    const source = await insertLead(602, 12, 36, { firstName: "Katherine", surname: "Johnson", emailAddress: "katherine@nasa.example" });
    const before = await leadsOf601();
    expect(await handleIntegrateMessage(env, { type: "integrate", leadId: source.id, jobId: await jobId })).toBe("ack");

    const d = (await delivery(source.id, await jobId))!;
    expect(d.status).toBe("delivered");
    expect(await leadsOf601()).toBe(before + 1);
    const remote = (await env.DB.prepare("SELECT id, lead_hash, publisher_id, form_id, link_id FROM leads WHERE id = ?").bind(Number(d.remote_lead_id)).first())!;
    expect(remote).toMatchObject({ publisher_id: 13, form_id: 35, link_id: 25, lead_hash: d.remote_lead_hash });
    const { results } = await env.DB.prepare("SELECT name, value FROM lead_datas WHERE lead_id = ? AND type = 'core.data'").bind(remote.id).all();
    expect(Object.fromEntries(results.map((r) => [r.name, r.value]))).toEqual({
      firstName: "Katherine", lastName: "Johnson", email: "katherine@nasa.example",
    });
    const sub = await env.DB.prepare("SELECT callback_url, secret FROM sync_subscriptions WHERE lead_id = ?").bind(remote.id).first<{ callback_url: string; secret: string }>();
    expect(sub).toEqual({ callback_url: `${env.BASE_URL}/api/webhook/sync`, secret: d.sync_secret });

    // The provider log line of each call (acme, a leadflare client, takes the sync tag with the lead:
    // one call), without the API key or the secret.
    const logs = await providerLogs(source.id);
    expect(logs.map((l) => l.context.outcome)).toEqual(["delivered"]);
    expect(JSON.stringify(logs)).not.toContain(API_KEY);
    expect(JSON.stringify(logs)).not.toContain(d.sync_secret!.slice(6));

    // The client's Processr passes the lead (Valid); the sync tag reports it and the source stays Valid.
    await waitFor(async () => expect(await flagOf(remote.id as number)).toBe("Valid"));
    await waitFor(async () => expect((await delivery(source.id, await jobId))!.last_sync_event_id).not.toBeNull());
    expect(await flagOf(source.id)).toBe("Valid");
    expect(verified.some((v) => v.body.leadId === remote.id && v.body.flag === "Valid")).toBe(true);
  });

  it("brings the client's invalidation back as Invalid with the reason, then its re-validation as Valid", async () => {
    const source = await insertLead(602, 12, 36, { firstName: "Dorothy", surname: "Vaughan", emailAddress: "dorothy@nasa.example" });
    await handleIntegrateMessage(env, { type: "integrate", leadId: source.id, jobId: await jobId });
    const d = (await delivery(source.id, await jobId))!;
    const remoteId = Number(d.remote_lead_id);
    await waitFor(async () => expect(await flagOf(remoteId)).toBe("Valid"));

    const admin = await loginAs(DEMO.admin);
    const res = await call(`/api/webhook/invalidate/${d.remote_lead_hash}`, form({ reason: "Not a decision maker", user: "qa@acme.test" }, bearer(admin)));
    expect(res.status).toBe(201);
    await waitFor(async () => expect(await flagOf(source.id)).toBe("Invalid"));
    expect(await lastNote(source.id)).toEqual({
      author: `sync:${SELF_ORIGIN}`, reason: "Not a decision maker", from_flag: "Valid", to_flag: "Invalid",
    });

    const before = await leadsOf601();
    const again = await call(`/api/webhook/validate/${d.remote_lead_hash}`, form({ reason: "Confirmed by phone", user: "qa@acme.test" }, bearer(admin)));
    expect(again.status).toBe(201);
    await waitFor(async () => expect(await flagOf(source.id)).toBe("Valid"));
    expect((await lastNote(source.id))!.reason).toBe("Confirmed by phone");
    // Valid again hands the lead to the integrations once more, but it was delivered: no second lead.
    expect(await leadsOf601()).toBe(before);
    expect((await delivery(source.id, await jobId))!.status).toBe("delivered");
  });

  it("maps a deletion at the client to Invalid", async () => {
    const source = await insertLead(602, 12, 36, { firstName: "Mary", surname: "Winston", emailAddress: "mary.w@nasa.example" });
    await handleIntegrateMessage(env, { type: "integrate", leadId: source.id, jobId: await jobId });
    const remoteId = Number((await delivery(source.id, await jobId))!.remote_lead_id);
    await waitFor(async () => expect(await flagOf(remoteId)).toBe("Valid"));
    await waitFor(async () => expect((await delivery(source.id, await jobId))!.last_sync_event_id).not.toBeNull());
    const result = await transitionLead(env, { leadId: remoteId, to: "Deleted", source: "delete", author: "admin@acme.test", reason: "GDPR erasure request" });
    expect(result.ok).toBe(true);
    await waitFor(async () => expect(await flagOf(source.id)).toBe("Invalid"));
    expect((await lastNote(source.id))!.reason).toBe("GDPR erasure request (client status: Deleted)");
  });

  it("creates one client lead when a response is lost and the delivery is retried (Idempotency-Key)", async () => {
    const source = await insertLead(602, 12, 36, { firstName: "Annie", surname: "Easley", emailAddress: "annie@nasa.example" });
    const before = await leadsOf601();
    let lost = 0;
    handler.current = async (req) => {
      const res = await verifyingSelf(req);
      if (lost === 0 && new URL(req.url).pathname.endsWith("/leads")) {
        lost += 1;
        return new Response("gateway timeout", { status: 504 });
      }
      return res;
    };
    try {
      const { env: e, sent } = recordingEnv();
      const msg = { type: "integrate" as const, leadId: source.id, jobId: await jobId };
      expect(await handleIntegrateMessage(e, msg)).toBe("ack");
      expect(sent).toHaveLength(1);
      expect((await delivery(source.id, await jobId))!.status).toBe("pending");
      expect(await leadsOf601()).toBe(before + 1); // the client did take it
      expect(await handleIntegrateMessage(e, msg)).toBe("ack");
      const d = (await delivery(source.id, await jobId))!;
      expect(d).toMatchObject({ status: "delivered", attempts: 2 });
      expect(await leadsOf601()).toBe(before + 1);
    } finally {
      handler.current = verifyingSelf;
    }
  });
});
