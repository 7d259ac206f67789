import { env, exports } from "cloudflare:workers";
import { afterAll, beforeEach, vi } from "vitest";
import type { z } from "zod";
import { adaptorFields } from "../../src/integrations/http-integration";
import type { Env } from "../../src/env";
import type { ProcessrMessage } from "../../src/processr/messages";

// Fixtures and stubs for integration tests: source leads and jobs written straight into D1, a
// fetch stub that can send "outbound" calls to this very Worker (acme delivering to acme), and a
// queue that records what would be sent.

export const SELF_ORIGIN = "http://127.0.0.1:8787";
/** acme's OAuth client in the demo data (/api/v4/oauth-clients), for Connect jobs that deliver to acme. */
export const ACME_CLIENT = { clientId: "1_5b0c7f3e1a9d4c2b8e6f0a1d3c5e7b9f", clientSecret: "acme-demo-client-secret-1f6e0d2c9b8a7f6e5d4c3b2a" };

export async function insertLead(campaignId: number, publisherId: number, formId: number, values: Record<string, string>, flag = "Valid") {
  const hash = crypto.randomUUID().replace(/-/g, "");
  const row = await env.DB.prepare(
    `INSERT INTO leads (campaign_id, publisher_id, form_id, lead_hash, flag, qa_result, processr_status, email)
     VALUES (?, ?, ?, ?, ?, ?, 1000, ?) RETURNING id`,
  )
    .bind(campaignId, publisherId, formId, hash, flag, flag, values.email ?? values.emailAddress ?? null)
    .first<{ id: number }>();
  await env.DB.batch(
    Object.entries(values).map(([name, value]) =>
      env.DB.prepare("INSERT INTO lead_datas (lead_id, name, value) VALUES (?, ?, ?)").bind(row!.id, name, value),
    ),
  );
  return { id: row!.id, hash };
}

export async function insertJob(campaignId: number, type: string, config: unknown, label = `${type} job`): Promise<number> {
  const row = await env.DB.prepare(
    "INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, config) VALUES (?, ?, ?, 0, ?) RETURNING id",
  )
    .bind(campaignId, type, label, JSON.stringify(config))
    .first<{ id: number }>();
  return row!.id;
}

/** An adaptor (/api/v4/adaptors) written straight into D1, stored as its write stores it: rows, or every captured value. */
export async function insertAdaptor(fields: z.input<typeof adaptorFields> | "allValues", name = "Test adaptor"): Promise<number> {
  const all = fields === "allValues";
  const row = await env.DB.prepare("INSERT INTO adaptors (name, fields, send_all_values) VALUES (?, ?, ?) RETURNING id")
    .bind(name, JSON.stringify(all ? [] : adaptorFields.parse(fields)), all ? 1 : 0)
    .first<{ id: number }>();
  return row!.id;
}

/** A POST HTTP integration's config as saved: its inline rows (or, without rows, every value) moved into an adaptor. */
export async function withAdaptor(config: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (config.method === "GET") return config;
  const { fields, ...rest } = config as { fields?: z.input<typeof adaptorFields> };
  return { ...rest, adaptorId: await insertAdaptor(fields?.length ? fields : "allValues") };
}

export type FetchHandler = (req: Request) => Promise<Response> | Response;

/** Routes requests to this Worker's own fetch handler: the "client enterprise" is acme itself. */
export const toSelf: FetchHandler = (req) => exports.default.fetch(req);

/** Replaces global fetch (used by integrations and by the lead object's callbacks) with `handler`. */
export function stubFetch(handler: { current: FetchHandler }) {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => handler.current(new Request(input as RequestInfo, init)));
}

/**
 * A stubbed vendor for the whole test file: records every outbound request and answers with
 * `reply` (a throwing reply is a network failure); both are reset before each test.
 */
export function stubVendor(initial: (req: Request) => Response) {
  const vendor = { requests: [] as Request[], reply: initial };
  const spy = stubFetch({ current: (req) => (vendor.requests.push(req), vendor.reply(req)) });
  afterAll(() => spy.mockRestore());
  beforeEach(() => {
    vendor.requests.length = 0;
    vendor.reply = initial;
  });
  return vendor;
}

export interface Sent {
  body: ProcessrMessage;
  delaySeconds?: number;
}

/** The env with a queue that records messages instead of sending them. */
export function recordingEnv(overrides: Partial<Env> = {}): { env: Env; sent: Sent[] } {
  const sent: Sent[] = [];
  const queue = {
    async send(body: ProcessrMessage, opts?: { delaySeconds?: number }) {
      sent.push({ body, delaySeconds: opts?.delaySeconds });
    },
    async sendBatch(msgs: Iterable<{ body: ProcessrMessage; delaySeconds?: number }>) {
      for (const m of msgs) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue<ProcessrMessage>;
  return { env: { ...(env as unknown as Env), PROCESSR_QUEUE: queue, ...overrides }, sent };
}

export async function delivery(leadId: number, jobId: number) {
  return env.DB.prepare("SELECT * FROM integration_deliveries WHERE lead_id = ? AND campaign_processr_job_id = ?")
    .bind(leadId, jobId)
    .first<{
      status: string; attempts: number; idempotency_key: string; remote_lead_id: string | null; remote_lead_hash: string | null;
      response_value: string | null; sync_secret: string | null; last_error: string | null; lease_until_ts: number | null;
      last_sync_event_id: number | null;
    }>();
}

export async function providerLogs(leadId: number) {
  const { results } = await env.DB.prepare("SELECT level, message, context FROM logs WHERE type = 'provider' AND lead_id = ? ORDER BY id")
    .bind(leadId)
    .all<{ level: string; message: string; context: string }>();
  return results.map((r) => ({ ...r, context: JSON.parse(r.context) as Record<string, any> }));
}

/**
 * The test env whose host limiter stubs run each method call through `call` (given the method's
 * name and the call itself), with `vars` set.
 */
export function wrappedLimiter(call: (method: string | symbol, go: () => Promise<unknown>) => Promise<unknown>, vars: Record<string, string> = {}) {
  const ns = env.OUTBOUND_LIMITER;
  const OUTBOUND_LIMITER = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) =>
      new Proxy(ns.get(id), {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => call(prop, () => Reflect.apply(value, target, args));
        },
      }),
  };
  return { ...env, ...vars, OUTBOUND_LIMITER } as unknown as typeof env;
}

/** The test env with the host limiter's calls counted (each method call on a limiter stub). */
export function countedLimiter(vars: Record<string, string> = {}) {
  const counted = { calls: 0 };
  return { counted, env: wrappedLimiter((_, go) => (counted.calls++, go()), vars) };
}

/** A D1 whose first batch for which `lose` holds applies, then throws as if its answer were lost. */
export function losingAnswer(lose: (stmts: D1PreparedStatement[]) => boolean) {
  const lost = { count: 0 };
  const DB = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== "batch") return typeof value === "function" ? value.bind(target) : value;
      return async (stmts: D1PreparedStatement[]) => {
        const results = await target.batch(stmts);
        if (lost.count === 0 && lose(stmts)) {
          lost.count += 1;
          throw new Error("Network connection lost.");
        }
        return results;
      };
    },
  });
  return { DB, lost };
}

/** A statement's SQL, as prepared. */
export const sqlOf = (s: D1PreparedStatement) => (s as unknown as { statement: string }).statement;

/**
 * A Convertr Connect job's config delivering to this Worker (acme) as its client, with sync tags:
 * campaign 601's form 35 for publisher 13 (its API key); LEAD_PATH is where its leads are posted.
 */
export const CONNECT_TO_SELF = {
  LEAD_PATH: "/api/v2.4/publisher/13/forms/35/campaign/601/leads",
  config: {
    enterpriseUrl: "http://127.0.0.1:8781", clientId: ACME_CLIENT.clientId, clientSecret: ACME_CLIENT.clientSecret,
    apiKey: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", publisherId: 13, campaignId: 601, formId: 35, linkId: 25,
    mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: true,
  },
};
