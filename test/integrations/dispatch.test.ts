import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { enqueueIntegrations, handleIntegrateMessage, MAX_ATTEMPTS } from "../../src/integrations/dispatch";
import { hostLimiter } from "../../src/integrations/host-limiter";
import { delivery, type FetchHandler, insertJob, insertLead, providerLogs, recordingEnv, stubFetch, withAdaptor } from "./helpers";

// Delivery rules with a Convertr Connect job pointed at a stubbed client ("client.example.test"),
// whose token endpoint always grants TOKEN and which has no leadflare extensions.
const CLIENT = "https://client.example.test";
const config = {
  enterpriseUrl: CLIENT, clientId: "3_client", clientSecret: "client-secret", apiKey: "client-api-key-123456", publisherId: 13, campaignId: 601, formId: 35, linkId: 25,
  mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: false,
};
const handler: { current: FetchHandler } = { current: () => new Response("unset", { status: 500 }) };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

let seq = 0;
async function fixture(jobConfig: unknown = config) {
  seq += 1;
  const jobId = await insertJob(602, "convertr_connect", jobConfig);
  const lead = await insertLead(602, 12, 36, { firstName: "Mary", surname: "Jackson", emailAddress: `mary${seq}@example.org` });
  return { jobId, leadId: lead.id, msg: { type: "integrate" as const, leadId: lead.id, jobId } };
}

const TOKEN = "client-token-1";
const created = (id: number) => Response.json({ data: id, message: "Lead was created successfully", status: 201 }, { status: 201 });

describe("integration dispatch", () => {
  let calls: Request[] = [];
  beforeEach(() => {
    calls = [];
  });
  const respond = (f: (req: Request) => Response) => {
    handler.current = (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/oauth/v2/token") return Response.json({ access_token: TOKEN, expires_in: 3600, token_type: "bearer", scope: null, refresh_token: "r" });
      if (path === "/.well-known/leadflare") return new Response("Not Found", { status: 404 });
      calls.push(req);
      return f(req);
    };
  };

  it("enqueues one message per integration job of a Valid lead, never for a delivered one", async () => {
    const { jobId, leadId } = await fixture();
    const other = await insertJob(602, "http_integration", await withAdaptor({ name: "CRM", url: "https://crm.example.test/in", active: false }));
    const { env: e, sent } = recordingEnv();
    await enqueueIntegrations(e, leadId, ["leadProcessed"]);
    // The inactive HTTP integration is skipped.
    expect(sent.map((s) => s.body)).toEqual([{ type: "integrate", leadId, jobId }]);
    expect((await delivery(leadId, jobId))!.status).toBe("pending");
    expect(await delivery(leadId, other)).toBeNull();
    await env.DB.prepare("UPDATE integration_deliveries SET status = 'delivered' WHERE lead_id = ?").bind(leadId).run();
    sent.length = 0;
    await enqueueIntegrations(e, leadId, ["leadProcessed"]);
    expect(sent).toEqual([]);
    const invalid = await insertLead(602, 12, 36, { firstName: "X" }, "Invalid");
    await enqueueIntegrations(e, invalid.id, ["leadProcessed"]);
    expect(sent).toEqual([]);
  });

  it("posts the mapped form with the API key and an idempotency key, and records the remote id", async () => {
    const { jobId, leadId, msg } = await fixture();
    respond(() => created(555));
    const { env: e, sent } = recordingEnv();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(sent).toEqual([]);
    const req = calls[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe(`${CLIENT}/api/v2.4/publisher/13/forms/35/campaign/601/leads?linkId=25`);
    expect(req.headers.get("Authorization")).toBe(`Bearer ${TOKEN}`);
    expect(req.headers.get("X-Api-Key")).toBeNull();
    expect(req.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    const d = (await delivery(leadId, jobId))!;
    expect(req.headers.get("Idempotency-Key")).toBe(d.idempotency_key);
    expect(Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer())))).toEqual({
      "form[firstName]": "Mary", "form[lastName]": "Jackson", "form[email]": `mary${seq}@example.org`,
    });
    expect(d).toMatchObject({ status: "delivered", attempts: 1, remote_lead_id: "555", last_error: null, lease_until_ts: null });
    const result = await env.DB.prepare("SELECT status FROM processr_job_leads WHERE lead_id = ? AND campaign_processr_job_id = ?").bind(leadId, jobId).first();
    expect(result).toEqual({ status: "passed" });
    const logs = await providerLogs(leadId);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.context).toMatchObject({ request: { method: "POST" }, response: { status: 201 }, outcome: "delivered" });
    expect(JSON.stringify(logs)).not.toContain(config.apiKey);
    // A second copy of the message delivers nothing more.
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls).toHaveLength(1);
  });

  it("retries a 5xx later with backoff, then delivers with the same idempotency key", async () => {
    const { jobId, leadId, msg } = await fixture();
    respond(() => new Response("upstream down", { status: 503 }));
    const { env: e, sent } = recordingEnv();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual(msg);
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(4);
    expect(sent[0]!.delaySeconds).toBeLessThanOrEqual(6);
    const d = (await delivery(leadId, jobId))!;
    expect(d).toMatchObject({ status: "pending", attempts: 1, lease_until_ts: null });
    expect(d.last_error).toContain("HTTP 503");
    respond(() => created(556));
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls[0]!.headers.get("Idempotency-Key")).toBe(calls[1]!.headers.get("Idempotency-Key"));
    expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 2, remote_lead_id: "556" });
    expect((await providerLogs(leadId)).map((l) => l.level)).toEqual(["warning", "info"]);
  });

  it("honours Retry-After on 429 and retries network errors", async () => {
    const { msg } = await fixture();
    respond(() => new Response(JSON.stringify({ code: 429, message: "Too Many Requests" }), { status: 429, headers: { "Retry-After": "120" } }));
    const { env: e, sent } = recordingEnv();
    await handleIntegrateMessage(e, msg);
    expect(sent[0]!.delaySeconds).toBe(120);
    handler.current = () => {
      throw new TypeError("connection refused");
    };
    await handleIntegrateMessage(e, msg);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.delaySeconds).toBeGreaterThanOrEqual(12); // second attempt: 15 s ± 20 %
  });

  it("records a 4xx validation error as final, with the client's message", async () => {
    const { jobId, leadId, msg } = await fixture();
    const error = { code: 400, message: "Validation Failed", errors: { errors: ["This form should not contain extra fields."] } };
    respond(() => Response.json(error, { status: 400 }));
    const { env: e, sent } = recordingEnv();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(sent).toEqual([]);
    const d = (await delivery(leadId, jobId))!;
    expect(d.status).toBe("failed");
    expect(d.last_error).toContain("HTTP 400: Validation Failed");
    expect(d.last_error).toContain("This form should not contain extra fields.");
    const note = await env.DB.prepare("SELECT author, note, reason FROM lead_notes WHERE lead_id = ? ORDER BY id DESC").bind(leadId).first<{ author: string; note: string; reason: string }>();
    expect(note!.author).toBe("integration:convertr_connect");
    expect(note!.note).toBe("Not delivered to the client.");
    expect(note!.reason).toContain("Validation Failed");
    // Final: a later copy of the message does not call again.
    await handleIntegrateMessage(e, msg);
    expect(calls).toHaveLength(1);
  });

  it("gives up after MAX_ATTEMPTS transient failures", async () => {
    const { jobId, leadId, msg } = await fixture();
    await env.DB.prepare("INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key, attempts) VALUES (?, ?, 'k-max', ?)")
      .bind(leadId, jobId, MAX_ATTEMPTS - 1)
      .run();
    respond(() => new Response("", { status: 500 }));
    const { env: e, sent } = recordingEnv();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(sent).toEqual([]);
    const d = (await delivery(leadId, jobId))!;
    expect(d.status).toBe("failed");
    expect(d.last_error).toMatch(new RegExp(`^Gave up after ${MAX_ATTEMPTS} attempts: HTTP 500`));
  });

  it("waits for a slot when the host already has 9 requests in flight (Convertr asks for fewer than 10), without counting an attempt", async () => {
    const { jobId, leadId, msg } = await fixture();
    const limiter = hostLimiter(env, "client.example.test");
    const tokens: string[] = [];
    for (let i = 0; i < 9; i++) {
      const slot = await limiter.acquire(9);
      if (!slot.ok) throw new Error("expected a free slot");
      tokens.push(slot.token);
    }
    expect((await limiter.acquire(9)).ok).toBe(false);
    respond(() => created(600));
    const { env: e, sent } = recordingEnv();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls).toHaveLength(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(await delivery(leadId, jobId)).toMatchObject({ status: "pending", attempts: 0, lease_until_ts: null });
    await limiter.release(tokens.pop()!);
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(await delivery(leadId, jobId)).toMatchObject({ status: "delivered", attempts: 1 });
    for (const t of tokens) await limiter.release(t);
    expect(await limiter.inUse()).toBe(0);
  });

  it("never calls out for a lead that is no longer Valid or while another worker holds the delivery", async () => {
    const { jobId, leadId, msg } = await fixture();
    respond(() => created(601));
    const { env: e, sent } = recordingEnv();
    await env.DB.prepare("UPDATE leads SET flag = 'Invalid' WHERE id = ?").bind(leadId).run();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls).toHaveLength(0);
    await env.DB.prepare("UPDATE leads SET flag = 'Valid' WHERE id = ?").bind(leadId).run();
    await env.DB.prepare("UPDATE integration_deliveries SET lease_until_ts = ? WHERE lead_id = ? AND campaign_processr_job_id = ?")
      .bind(Date.now() + 30_000, leadId, jobId)
      .run();
    expect(await handleIntegrateMessage(e, msg)).toBe("ack");
    expect(calls).toHaveLength(0);
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(30);
  });

  it("rejects an invalid configuration or a disallowed URL without calling out", async () => {
    const bad = await fixture({ ...config, mapping: {} });
    const { env: e } = recordingEnv();
    expect(await handleIntegrateMessage(e, bad.msg)).toBe("ack");
    expect((await delivery(bad.leadId, bad.jobId))!.last_error).toMatch(/^Invalid job configuration: mapping/);
    const priv = await fixture({ ...config, enterpriseUrl: "https://10.1.2.3" });
    const { env: strict } = recordingEnv({ ALLOW_PRIVATE_OUTBOUND: "false" });
    expect(await handleIntegrateMessage(strict, priv.msg)).toBe("ack");
    expect(await delivery(priv.leadId, priv.jobId)).toMatchObject({ status: "failed" });
    expect((await delivery(priv.leadId, priv.jobId))!.last_error).toContain("private, loopback or link-local");
    expect(calls).toHaveLength(0);
  });

  it("writes no delivery row and calls nobody for a message naming a QA job or another campaign's integration job", async () => {
    respond(() => created(1));
    const lead = await insertLead(602, 12, 36, { firstName: "Grace", surname: "Hopper", emailAddress: "grace@example.org" });
    const qa = await insertJob(602, "field_not_empty", { fields: ["email"] });
    const elsewhere = await insertJob(601, "convertr_connect", config);
    for (const jobId of [qa, elsewhere]) {
      expect(await handleIntegrateMessage(env, { type: "integrate", leadId: lead.id, jobId })).toBe("ack");
      expect(await delivery(lead.id, jobId)).toBeNull();
    }
    expect(calls).toHaveLength(0);
  });
});
