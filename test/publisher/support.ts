import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import type { ProcessrMessage } from "../../src/processr/messages";
import { BASE, call } from "../helpers";
import { deliver, PROCESSR_QUEUE } from "../leads/fixtures";

// Shared by the publisher API and campaign webhook tests.

/** Demo campaign publisher API keys (demo/enterprises.json). */
export const KEYS = {
  northwind601: "0c463164f0d4fcb604d8fd9f80737476",
  agency601: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b",
  northwind602: "9a8b7c6d5e4f30211f2e3d4c5b6a7980",
} as const;

export const SIMPLE = { firstName: "Danny", lastName: "Hannah", email: "tech@convertr.io" } as const;

/** `form[a]=…&form[b][c]=…` exactly as given (names are encoded, brackets included). */
export function formBody(fields: Record<string, string>, extra: [string, string][] = []): string {
  const pairs = Object.entries(fields).map(([k, v]) => [`form[${k.replace("[", "][")}${k.includes("[") ? "" : "]"}`, v]);
  return new URLSearchParams([...pairs, ...extra]).toString();
}

export function postForm(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

export const leadsPath = (publisherId: number, formId: number, campaignId: number, query = "") =>
  `/api/v2.4/publisher/${publisherId}/forms/${formId}/campaign/${campaignId}/leads${query}`;

export async function count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql).bind(...params).first<{ n: number }>();
  return row!.n;
}

/** A queue double: records what is sent, or fails every send. */
export function fakeQueue(fail = false) {
  const sent: ProcessrMessage[] = [];
  const q = {
    sent,
    async send(body: ProcessrMessage) {
      if (fail) throw new Error("queue unavailable");
      sent.push(body);
    },
    async sendBatch(msgs: Iterable<{ body: ProcessrMessage }>) {
      if (fail) throw new Error("queue unavailable");
      for (const m of msgs) sent.push(m.body);
    },
  };
  return q;
}

/** Calls the Worker with its bindings, some replaced (another D1, another queue), and waits for its waitUntil work. */
export async function callWith(bindings: Partial<typeof env>, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(new Request(new URL(path, BASE), init) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Calls the Worker with its bindings but another Processr queue, and waits for waitUntil work. */
export const callWithQueue = (queue: ReturnType<typeof fakeQueue>, path: string, init: RequestInit): Promise<Response> =>
  callWith({ PROCESSR_QUEUE: queue as unknown as Queue<ProcessrMessage> }, path, init);

/** Captures one lead (form-encoded `body`, a 201 expected) and runs its Processr message through the queue handler; its id. */
export async function captureAndProcess(path: string, body: string, init: RequestInit & { cf?: Record<string, unknown> } = {}): Promise<number> {
  const q = fakeQueue();
  const res = await callWithQueue(q, path, {
    ...init,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(init.headers as Record<string, string>) },
    body,
  } as RequestInit);
  expect(res.status).toBe(201);
  const id = ((await res.json()) as { data: number }).data;
  await deliver(PROCESSR_QUEUE, q.sent as ProcessrMessage[]);
  return id;
}

export function runScheduled(queue: ReturnType<typeof fakeQueue>) {
  const ctx = createExecutionContext();
  worker.scheduled!(
    { cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController,
    { ...env, PROCESSR_QUEUE: queue as unknown as Queue<ProcessrMessage> },
    ctx,
  );
  return waitOnExecutionContext(ctx);
}

/**
 * A test campaign of advertiser 319 with one form of `fields` ([name, type, required]) and
 * publisher 12 on it (campaign key `key-{id}`, publisher key `cp-key-{id}`): the statements, to
 * batch with whatever else a test inserts.
 */
export function testCampaignStatements(campaign: number, form: number, name: string, fields: [string, string, boolean][]): D1PreparedStatement[] {
  return [
    env.DB.prepare(
      `INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, payout_amount, api_key)
       VALUES (?1, ?2 || ' ' || ?1, 319, 1, 0, 4102444800000, '10.00', 'key-' || ?1)`,
    ).bind(campaign, name),
    env.DB.prepare(`INSERT INTO campaign_statistics (campaign_id) VALUES (?1)`).bind(campaign),
    env.DB.prepare(`INSERT INTO forms (id, campaign_id, name) VALUES (?1, ?2, 'Form')`).bind(form, campaign),
    ...fields.map(([field, type, required], position) =>
      env.DB.prepare(`INSERT INTO form_fields (form_id, name, type, required, position) VALUES (?1, ?2, ?3, ?4, ?5)`)
        .bind(form, field, type, required ? 1 : 0, position)),
    env.DB.prepare(`INSERT INTO campaign_publishers (campaign_id, publisher_id, api_key) VALUES (?1, 12, 'cp-key-' || ?1)`).bind(campaign),
  ];
}

/** The test D1 binding, counting round trips: a batch, or a statement's first/run/all/raw. */
export function roundTripCounter() {
  const counter = { trips: 0, db: env.DB };
  const real = new WeakMap<object, D1PreparedStatement>();
  const statement = (s: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(s, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "bind") return (...args: unknown[]) => statement(value.apply(target, args));
        if (prop === "first" || prop === "run" || prop === "all" || prop === "raw") {
          return (...args: unknown[]) => {
            counter.trips += 1;
            return value.apply(target, args);
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, s);
    return proxy;
  };
  counter.db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "prepare") return (sql: string) => statement(target.prepare(sql));
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          counter.trips += 1;
          return target.batch(stmts.map((s) => real.get(s) ?? s));
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return counter;
}
