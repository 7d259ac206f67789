import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { SYNC_WITH_LEAD } from "../../src/integrations/convertr-client";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { hostLimiter, type OutboundHostLimiter } from "../../src/integrations/host-limiter";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { app } from "../../src/app";
import { BASE, bearer, call, DEMO, form, loginAs } from "../helpers";
import { roundTripCounter } from "../publisher/support";
import { ACME_CLIENT, delivery, type FetchHandler, insertJob, insertLead, providerLogs, recordingEnv, stubFetch, toSelf } from "./helpers";

// leadflare's lead POST with its sync subscription (extensions.syncWithLead): a leadflare client
// takes the tag in the lead POST's headers, one request instead of two; any client that does not
// advertise it, or whose answer does not say the subscription was made, gets the documented lead
// POST and subscription call.

const API_KEY = "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b"; // campaign 601, publisher 13
const CALLBACK = `${env.BASE_URL}/api/webhook/sync`;
const LEAD_PATH = "/api/v2.4/publisher/13/forms/35/campaign/601/leads";
const configFor = (enterpriseUrl: string) => ({
  enterpriseUrl, clientId: ACME_CLIENT.clientId, clientSecret: ACME_CLIENT.clientSecret,
  apiKey: API_KEY, publisherId: 13, campaignId: 601, formId: 35, linkId: 25,
  mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: true,
});

// Every outbound request this file's deliveries make, then answered by this Worker ("acme delivers
// to acme"); `rewrite` changes an answer (each test uses its own origin, so that the extension
// document cached per client instance is its own).
const seen: Request[] = [];
let rewrite: (req: Request, res: Response) => Promise<Response> | Response = (_req, res) => res;
// The subscriber of the client-side tests below, answered here.
const SUBSCRIBER = "http://127.0.0.1:8799/api/webhook/sync";
const handler: { current: FetchHandler } = {
  current: async (req) => {
    if (req.url === SUBSCRIBER) return new Response(null, { status: 204 });
    seen.push(req.clone());
    return rewrite(req, await toSelf(req));
  },
};
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const requestsTo = (origin: string) => seen.filter((r) => r.url.startsWith(origin)).map((r) => `${r.method} ${new URL(r.url).pathname}`);
const subscriptionsOf = async (remoteLeadId: string | null) =>
  (await env.DB.prepare("SELECT id, callback_url, secret FROM sync_subscriptions WHERE lead_id = ?").bind(Number(remoteLeadId)).all()).results;

async function deliverTo(origin: string, name: string) {
  const jobId = await insertJob(602, "convertr_connect", configFor(origin), `Convertr Connect: ${origin}`);
  const source = await insertLead(602, 12, 36, { firstName: name, surname: "Hopper", emailAddress: `${name.toLowerCase()}@navy.example` });
  expect(await handleIntegrateMessage(env, { type: "integrate", leadId: source.id, jobId })).toBe("ack");
  const d = (await delivery(source.id, jobId))!;
  const tagged = await env.DB.prepare("SELECT sync_placed_ts FROM integration_deliveries WHERE lead_id = ? AND campaign_processr_job_id = ?")
    .bind(source.id, jobId)
    .first<{ sync_placed_ts: number | null }>();
  return { source, jobId, d, placed: tagged!.sync_placed_ts !== null };
}

describe("Convertr Connect to a client that takes the sync tag with the lead", () => {
  it("makes one request: the lead POST carries the subscription, nothing of it reaches the provider log", async () => {
    const origin = "http://127.0.0.1:8791";
    const { source, d, placed } = await deliverTo(origin, "Grace");
    expect(d.status).toBe("delivered");
    expect(requestsTo(origin).filter((r) => r.startsWith("POST"))).toEqual(["POST /oauth/v2/token", `POST ${LEAD_PATH}`]);
    const leadPost = seen.find((r) => r.url.startsWith(origin) && new URL(r.url).pathname === LEAD_PATH)!;
    expect(leadPost.headers.get(SYNC_WITH_LEAD.callback)).toBe(CALLBACK);
    expect(leadPost.headers.get(SYNC_WITH_LEAD.secret)).toBe(d.sync_secret);
    // The client's subscription is the one the documented call would have made; the tag and the client's lead hash are kept.
    expect(await subscriptionsOf(d.remote_lead_id)).toEqual([expect.objectContaining({ callback_url: CALLBACK, secret: d.sync_secret })]);
    expect(placed).toBe(true);
    const remote = await env.DB.prepare("SELECT lead_hash FROM leads WHERE id = ?").bind(Number(d.remote_lead_id)).first<{ lead_hash: string }>();
    expect(d.remote_lead_hash).toBe(remote!.lead_hash);
    const logs = await providerLogs(source.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.message).toContain("sync tags placed with the lead");
    expect(JSON.stringify(logs)).not.toContain(d.sync_secret!.slice(6));
  });

  it("costs three D1 round trips: the message's read, the claim with the sync secret, the outcome with the call's writes", async () => {
    const origin = "http://127.0.0.1:8794";
    await deliverTo(origin, "Warm"); // token and extension document cached, as for every later delivery
    const jobId = await insertJob(602, "convertr_connect", configFor(origin), "Convertr Connect: counted");
    const source = await insertLead(602, 12, 36, { firstName: "Frances", surname: "Allen", emailAddress: "frances@ibm.example" });
    const d1 = roundTripCounter();
    expect(await handleIntegrateMessage({ ...env, DB: d1.db }, { type: "integrate", leadId: source.id, jobId })).toBe("ack");
    expect((await delivery(source.id, jobId))!.status).toBe("delivered");
    expect(d1.trips).toBe(3);
  });

  it("claims the delivery and sets its sync secret in one statement, the secret the lead POST carries", async () => {
    const origin = "http://127.0.0.1:8794";
    const jobId = await insertJob(602, "convertr_connect", configFor(origin), "Convertr Connect: one claim statement");
    const source = await insertLead(602, 12, 36, { firstName: "Barbara", surname: "Liskov", emailAddress: "barbara@mit.example" });
    const claims: string[] = [];
    const DB = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "prepare") return (sql: string) => (sql.includes("integration_deliveries") && sql.includes("sync_secret") && claims.push(sql), target.prepare(sql));
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    expect(await handleIntegrateMessage({ ...env, DB }, { type: "integrate", leadId: source.id, jobId })).toBe("ack");
    // The one statement that writes the secret is the claim (attempts counted, lease taken).
    expect(claims.filter((sql) => /SET\s+sync_secret|sync_secret\s*=/.test(sql))).toEqual([expect.stringContaining("attempts = attempts + 1")]);
    const d = (await delivery(source.id, jobId))!;
    expect(d).toMatchObject({ status: "delivered", attempts: 1 });
    expect(d.sync_secret).toMatch(/^whsec_/);
    const leadPost = seen.filter((r) => r.url.startsWith(origin) && new URL(r.url).pathname === LEAD_PATH).at(-1)!;
    expect(leadPost.headers.get(SYNC_WITH_LEAD.secret)).toBe(d.sync_secret);
  });

  it("sends a client that does not advertise syncWithLead the documented two calls, without the headers", async () => {
    const origin = "http://127.0.0.1:8792";
    rewrite = async (req, res) => {
      if (new URL(req.url).pathname !== "/.well-known/leadflare") return res;
      const doc = (await res.json()) as { extensions: Record<string, string> };
      delete doc.extensions.syncWithLead;
      return Response.json(doc);
    };
    try {
      const { d, placed } = await deliverTo(origin, "Ada");
      expect(d.status).toBe("delivered");
      expect(requestsTo(origin).filter((r) => r.startsWith("POST"))).toEqual(["POST /oauth/v2/token", `POST ${LEAD_PATH}`, "POST /api/sync/subscriptions"]);
      const leadPost = seen.find((r) => r.url.startsWith(origin) && new URL(r.url).pathname === LEAD_PATH)!;
      expect(leadPost.headers.has(SYNC_WITH_LEAD.callback)).toBe(false);
      expect(leadPost.headers.has(SYNC_WITH_LEAD.secret)).toBe(false);
      expect(await subscriptionsOf(d.remote_lead_id)).toHaveLength(1);
      expect(placed).toBe(true);
    } finally {
      rewrite = (_req, res) => res;
    }
  });

  it("subscribes with the documented call when the answer does not say the subscription was made", async () => {
    const origin = "http://127.0.0.1:8793";
    // The client created the lead but its answer names no subscription (as when it could not make one).
    rewrite = (req, res) => {
      if (new URL(req.url).pathname !== LEAD_PATH) return res;
      const headers = new Headers(res.headers);
      headers.delete(SYNC_WITH_LEAD.subscription);
      return new Response(res.body, { status: res.status, headers });
    };
    try {
      const { source, d, placed } = await deliverTo(origin, "Hedy");
      expect(d.status).toBe("delivered");
      expect(requestsTo(origin).filter((r) => r.startsWith("POST"))).toEqual(["POST /oauth/v2/token", `POST ${LEAD_PATH}`, "POST /api/sync/subscriptions"]);
      // The second call found the subscription the headers made: still one.
      expect(await subscriptionsOf(d.remote_lead_id)).toEqual([expect.objectContaining({ callback_url: CALLBACK, secret: d.sync_secret })]);
      expect(placed).toBe(true);
      expect((await providerLogs(source.id)).map((l) => l.context.outcome)).toEqual(["delivered", "delivered"]);
    } finally {
      rewrite = (_req, res) => res;
    }
  });
});

describe("the requests a Convertr Connect delivery counts against its host's rate", () => {
  const started = (origin: string) => hostLimiter(env, new URL(origin).host).started() as Promise<number>;
  const noSubscriptionInAnswer = (req: Request, res: Response) => {
    if (new URL(req.url).pathname !== LEAD_PATH) return res;
    const headers = new Headers(res.headers);
    headers.delete(SYNC_WITH_LEAD.subscription);
    return new Response(res.body, { status: res.status, headers });
  };

  it("counts one when the client is known to take the tag with the lead", async () => {
    const origin = "http://127.0.0.1:8795";
    await deliverTo(origin, "Warm"); // the extension document cached: what the next delivery knows before it starts
    const before = await started(origin);
    const { d } = await deliverTo(origin, "Barbara");
    expect(d.status).toBe("delivered");
    expect(await started(origin)).toBe(before + 1);
  });

  it("counts the documented subscription call when it turns out to be needed", async () => {
    const origin = "http://127.0.0.1:8796";
    await deliverTo(origin, "Warm");
    rewrite = noSubscriptionInAnswer;
    try {
      const before = await started(origin);
      const { d, placed } = await deliverTo(origin, "Karen");
      expect([d.status, placed]).toEqual(["delivered", true]);
      expect(requestsTo(origin).filter((r) => r.endsWith("/api/sync/subscriptions"))).toHaveLength(1);
      expect(await started(origin)).toBe(before + 2);
    } finally {
      rewrite = (_req, res) => res;
    }
  });

  it("over the rate, makes no subscription call and retries the delivery later", async () => {
    const origin = "http://127.0.0.1:8797";
    await deliverTo(origin, "Warm");
    await runInDurableObject(hostLimiter(env, new URL(origin).host), (_: OutboundHostLimiter, state) => {
      state.storage.sql.exec("DELETE FROM starts");
    });
    rewrite = noSubscriptionInAnswer;
    try {
      const jobId = await insertJob(602, "convertr_connect", configFor(origin), "Convertr Connect: one a minute");
      const source = await insertLead(602, 12, 36, { firstName: "Radia", surname: "Perlman", emailAddress: "radia@dec.example" });
      const { env: e, sent } = recordingEnv({ OUTBOUND_HOST_RATE_PER_MINUTE: "1" });
      expect(await handleIntegrateMessage(e, { type: "integrate", leadId: source.id, jobId })).toBe("ack");
      // The lead POST took the minute's one request; the subscription waits for the window.
      expect(requestsTo(origin).filter((r) => r.endsWith("/api/sync/subscriptions"))).toHaveLength(0);
      expect(await started(origin)).toBe(1);
      expect(await delivery(source.id, jobId)).toMatchObject({ status: "pending", attempts: 1, lease_until_ts: null });
      expect((await delivery(source.id, jobId))!.last_error).toContain("has reached its rate of outbound requests per minute");
      expect(sent).toHaveLength(1);
      expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(55);
    } finally {
      rewrite = (_req, res) => res;
    }
  });
});

describe("POST …/leads with the Leadflare-Sync headers (the client's side)", () => {
  const fields = (email: string) => ({ "form[firstName]": "Joan", "form[lastName]": "Clarke", "form[email]": email });
  const tokenOf = async () => {
    const res = await call("/oauth/v2/token", form({
      grant_type: "https://convertr.cvtr.io/grants/api_key", client_id: ACME_CLIENT.clientId, client_secret: ACME_CLIENT.clientSecret, api_key: API_KEY,
    }));
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const post = (email: string, headers: Record<string, string>) => call(`${LEAD_PATH}?linkId=25`, form(fields(email), headers));
  const sync = (secret: string, callbackUrl = SUBSCRIBER) => ({ [SYNC_WITH_LEAD.callback]: callbackUrl, [SYNC_WITH_LEAD.secret]: secret });
  const leadIdOf = async (res: Response) => ((await res.json()) as { data: number }).data;

  it("subscribes the API-key grant's campaign publisher to the new lead, and a replay keeps that one subscription", async () => {
    const token = await tokenOf();
    const secret = newWebhookSecret();
    const headers = { ...bearer(token), ...sync(secret), "Idempotency-Key": `sync-with-lead-${crypto.randomUUID()}` };
    const res = await post("joan.1@bletchley.example", headers);
    expect(res.status).toBe(201);
    const leadId = await leadIdOf(res);
    const subs = await subscriptionsOf(String(leadId));
    expect(subs).toEqual([expect.objectContaining({ callback_url: SUBSCRIBER, secret })]);
    expect(res.headers.get(SYNC_WITH_LEAD.subscription)).toBe(String((subs[0] as { id: number }).id));
    const lead = await env.DB.prepare("SELECT lead_hash FROM leads WHERE id = ?").bind(leadId).first<{ lead_hash: string }>();
    expect(res.headers.get(SYNC_WITH_LEAD.leadHash)).toBe(lead!.lead_hash);

    const replay = await post("joan.1@bletchley.example", headers);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await leadIdOf(replay)).toBe(leadId);
    expect(replay.headers.get(SYNC_WITH_LEAD.subscription)).toBe(res.headers.get(SYNC_WITH_LEAD.subscription));
    expect(await subscriptionsOf(String(leadId))).toHaveLength(1);
  });

  it("writes the subscription in the lead's own write batch: one D1 round trip once the request shape is known", async () => {
    const capture = async (db: D1Database, email: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(new URL(`${LEAD_PATH}?linkId=25`, BASE), form(fields(email), { "X-Api-Key": API_KEY, ...sync(newWebhookSecret()) })),
        { ...env, DB: db },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await capture(env.DB, "joan.warm@bletchley.example")).status).toBe(201);
    const d1 = roundTripCounter();
    const res = await capture(d1.db, "joan.counted@bletchley.example");
    expect(res.status).toBe(201);
    expect(d1.trips).toBe(1);
    const subs = await subscriptionsOf(String(await leadIdOf(res)));
    expect(res.headers.get(SYNC_WITH_LEAD.subscription)).toBe(String((subs[0] as { id: number }).id));
  });

  it("subscribes with the campaign publisher's X-Api-Key too", async () => {
    const res = await post("joan.2@bletchley.example", { "X-Api-Key": API_KEY, ...sync(newWebhookSecret()) });
    expect(res.status).toBe(201);
    expect(res.headers.get(SYNC_WITH_LEAD.subscription)).toMatch(/^\d+$/);
    expect(await subscriptionsOf(String(await leadIdOf(res)))).toHaveLength(1);
  });

  it("creates the lead without a subscription when the headers cannot make one (the sender then uses the documented call)", async () => {
    const token = await tokenOf();
    const admin = await loginAs(DEMO.admin);
    const cases: [string, Record<string, string>][] = [
      ["a secret that is not a Standard Webhooks secret", { ...bearer(token), ...sync("hunter2") }],
      ["no secret", { ...bearer(token), [SYNC_WITH_LEAD.callback]: SUBSCRIBER }],
      ["a callback URL the outbound policy refuses", { ...bearer(token), ...sync(newWebhookSecret(), "ftp://agency.example.test/api/webhook/sync") }],
      ["a user's token (an admin acting for the publisher), not the campaign publisher's credentials", { ...bearer(admin), ...sync(newWebhookSecret()) }],
    ];
    for (const [what, headers] of cases) {
      const res = await post(`joan.${crypto.randomUUID()}@bletchley.example`, headers);
      expect(res.status, what).toBe(201);
      expect(res.headers.has(SYNC_WITH_LEAD.subscription), what).toBe(false);
      expect(await subscriptionsOf(String(await leadIdOf(res))), what).toHaveLength(0);
    }
  });

  it("is advertised at /.well-known/leadflare", async () => {
    const doc = (await (await call("/.well-known/leadflare")).json()) as { extensions: Record<string, string> };
    expect(doc.extensions.syncWithLead).toBe(SYNC_WITH_LEAD.callback);
  });
});
