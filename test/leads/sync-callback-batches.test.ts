import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { leadObject, subscribeToLead, transitionLead } from "../../src/leads/client";
import { deliverCallbackBatches } from "../../src/leads/sync-callbacks";
import type { TransitionRequest } from "../../src/leads/types";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { insertLead, processLeads, rows } from "./fixtures";

// Sync callbacks of a queue batch go to each receiver in one signed request when the receiver
// says (/.well-known/leadflare) that its callback path takes batches: each event once, in order
// per subscription, and what the receiver refuses is retried on its own with the same id.

const BATCHING = "https://batching.example";
const PLAIN = "https://plain.example";
const CALLBACK_PATH = "/api/webhook/sync";
let cpId: number;

interface Sent { url: string; method: string; headers: Record<string, string>; body: string }
let sent: Sent[] = [];
/** The receiver's answer to one event of a batch (200 unless set here by delivery id). */
let itemStatus = new Map<string, number>();
/** Leads whose events the receiver refuses (503), whatever their delivery id. */
const refusedLeads = new Set<number>();

beforeAll(async () => {
  const row = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 13`).first<{ id: number }>();
  cpId = row!.id;
});

beforeEach(() => {
  sent = [];
  itemStatus = new Map();
  refusedLeads.clear();
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.origin !== BATCHING && url.origin !== PLAIN) return realFetch(input, init);
    sent.push({ url: req.url, method: req.method, headers: Object.fromEntries(req.headers), body: await req.text() });
    if (url.pathname === "/.well-known/leadflare") {
      return url.origin === BATCHING
        ? Response.json({ name: "leadflare", enterprise: "agency", extensions: { syncSubscriptions: "/api/sync/subscriptions", syncCallbackBatches: CALLBACK_PATH } })
        : new Response("Not Found", { status: 404 });
    }
    const body = JSON.parse(sent.at(-1)!.body) as { type: string; events?: { webhookId: string; leadId: number }[] };
    if (body.type !== "lead.events") return new Response(null, { status: 204 });
    // As leadflare's receiver does: after a lead's event fails, its later ones are not applied (424).
    const failed = new Set<number>();
    const results = body.events!.map((e) => {
      const status = failed.has(e.leadId) ? 424 : refusedLeads.has(e.leadId) ? 503 : (itemStatus.get(e.webhookId) ?? 200);
      if (status !== 200) failed.add(e.leadId);
      return { webhookId: e.webhookId, status, message: status === 200 ? "applied" : "not applied", changed: status === 200 };
    });
    return Response.json({ code: 200, message: "applied", results });
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function subscribedLead(origin: string) {
  const id = await insertLead();
  const secret = newWebhookSecret();
  const sub = await subscribeToLead(env, { leadId: id, campaignPublisherId: cpId, callbackUrl: `${origin}${CALLBACK_PATH}`, secret });
  if (!sub.ok) throw new Error(sub.message);
  return { id, secret };
}

interface DeliveryRow { id: string; lead_id: number; event_id: number; status: string; attempts: number; last_status_code: number | null }
const deliveriesOf = (ids: number[]) =>
  rows<DeliveryRow>(`SELECT id, lead_id, event_id, status, attempts, last_status_code FROM webhook_deliveries WHERE lead_id IN (${ids.join(",")}) ORDER BY event_id`);
const posts = (origin: string) => sent.filter((s) => s.method === "POST" && s.url.startsWith(origin));
const eventsOf = (s: Sent) => (JSON.parse(s.body) as { events: { webhookId: string; leadId: number; eventId: number; flag: string }[] }).events;

/** A manual change whose callbacks the caller delivers (as the consumer's transitions do). */
const byCaller = (leadId: number, to: TransitionRequest["to"]): TransitionRequest => ({
  leadId, to, source: "manual", userId: 167, author: "admin@acme.test", callbacksByCaller: true,
});

/**
 * Runs a lead object's alarm and answers how many statements it prepared, after moving its last
 * arming `minutesAgo` further back (null: as it is); the alarm must clear itself.
 */
async function alarmStatements(leadId: number, minutesAgo: number | null, decidedMinutesAgo = minutesAgo ?? 0) {
  const prepared: string[] = [];
  const stub = leadObject(env, leadId);
  await runInDurableObject(stub, async (instance, state) => {
    const object = instance as unknown as { lastArmedTs: number; undecided?: { safetyTs: number } | null; env: typeof env };
    if (minutesAgo !== null) object.lastArmedTs -= minutesAgo * 60_000;
    // The decision's safety time, kept in memory and in storage, goes back with it.
    const stored = await state.storage.get<{ safetyTs: number }>("undecided");
    if (stored) await state.storage.put("undecided", { ...stored, safetyTs: stored.safetyTs - decidedMinutesAgo * 60_000 });
    if (object.undecided) object.undecided.safetyTs -= decidedMinutesAgo * 60_000;
    const DB = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "prepare") return (sql: string) => (prepared.push(sql), target.prepare(sql));
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    object.env = { ...object.env, DB };
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
  return prepared.length;
}

describe("batched sync callbacks", () => {
  it("a queue batch's callbacks go to a receiver that takes batches in one request, signed with each subscription's secret", async () => {
    const leads = [await subscribedLead(BATCHING), await subscribedLead(BATCHING), await subscribedLead(BATCHING)];
    const result = await processLeads(...leads.map((l) => l.id));
    expect(result.retryMessages).toEqual([]);

    expect(sent.filter((s) => s.method === "GET").map((s) => s.url)).toEqual([`${BATCHING}/.well-known/leadflare`]);
    expect(posts(BATCHING)).toHaveLength(1);
    const [batch] = posts(BATCHING);
    expect(batch!.url).toBe(`${BATCHING}${CALLBACK_PATH}`);
    expect(batch!.headers["webhook-id"]).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(batch!.headers["webhook-signature"]!.split(" ")).toHaveLength(3);
    // Each subscription's secret verifies the request (the independent standardwebhooks library).
    for (const l of leads) expect(new Webhook(l.secret).verify(batch!.body, batch!.headers)).toMatchObject({ type: "lead.events" });
    expect(() => new Webhook(newWebhookSecret()).verify(batch!.body, batch!.headers)).toThrow();

    const deliveries = await deliveriesOf(leads.map((l) => l.id));
    expect(deliveries.map((d) => [d.status, d.attempts, d.last_status_code])).toEqual([["delivered", 1, 200], ["delivered", 1, 200], ["delivered", 1, 200]]);
    // Each event carries its delivery id (what a single callback of it carries as webhook-id).
    expect(eventsOf(batch!).map((e) => [e.webhookId, e.leadId, e.flag]).sort()).toEqual(deliveries.map((d) => [d.id, d.lead_id, "Valid"]).sort());
    const logs = await rows<{ message: string }>(`SELECT message FROM logs WHERE type = 'provider' AND lead_id IN (${leads.map((l) => l.id).join(",")})`);
    expect(logs).toHaveLength(3);
    for (const l of logs) expect(l.message).toMatch(/Sync callback POST https:\/\/batching\.example\/api\/webhook\/sync → 200 \(delivered\): .*batch batch_/);

    // The alarm the objects kept as a fallback finds nothing left to send.
    for (const l of leads) await runDurableObjectAlarm(leadObject(env, l.id));
    expect(posts(BATCHING)).toHaveLength(1);
  });

  it("a receiver that does not say it takes batches gets single callbacks", async () => {
    const leads = [await subscribedLead(PLAIN), await subscribedLead(PLAIN)];
    await processLeads(...leads.map((l) => l.id));
    const singles = posts(PLAIN);
    expect(singles).toHaveLength(2);
    const deliveries = await deliveriesOf(leads.map((l) => l.id));
    expect(singles.map((s) => s.headers["webhook-id"]).sort()).toEqual(deliveries.map((d) => d.id).sort());
    for (const s of singles) {
      expect(JSON.parse(s.body)).toMatchObject({ type: "lead.status_changed", flag: "Valid" });
      expect(s.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    }
    expect(deliveries.every((d) => d.status === "delivered" && d.attempts === 1)).toBe(true);
  });

  it("keeps each subscription's events in order, sends each once even with two senders at the same time", async () => {
    const [a, b] = [await subscribedLead(BATCHING), await subscribedLead(BATCHING)];
    for (const id of [a.id, b.id]) {
      expect(await transitionLead(env, byCaller(id, "Test"))).toMatchObject({ ok: true, changed: true });
      expect(await transitionLead(env, byCaller(id, "Valid"))).toMatchObject({ ok: true, changed: true });
    }
    await Promise.all([deliverCallbackBatches(env, [a.id, b.id]), deliverCallbackBatches(env, [b.id, a.id])]);

    const events = posts(BATCHING).flatMap(eventsOf);
    const deliveries = await deliveriesOf([a.id, b.id]);
    expect(events.map((e) => e.webhookId).sort()).toEqual(deliveries.map((d) => d.id).sort());
    for (const id of [a.id, b.id]) {
      const own = events.filter((e) => e.leadId === id);
      expect(own.map((e) => e.flag)).toEqual(["Test", "Valid"]);
      expect(own[0]!.eventId).toBeLessThan(own[1]!.eventId);
    }
    expect(deliveries.every((d) => d.status === "delivered" && d.attempts === 1)).toBe(true);
  });

  it("a change whose caller never sends its callbacks (a crash) is delivered by the lead object's alarm, once", async () => {
    const a = await subscribedLead(BATCHING);
    await transitionLead(env, byCaller(a.id, "Test"));
    expect(posts(BATCHING)).toHaveLength(0);
    // The object kept its safety alarm armed instead of delivering at once.
    expect(await runDurableObjectAlarm(leadObject(env, a.id))).toBe(true);
    expect(posts(BATCHING).map((s) => s.headers["webhook-id"])).toEqual((await deliveriesOf([a.id])).map((d) => d.id));
    // The late batch finds nothing left to send.
    await deliverCallbackBatches(env, [a.id]);
    expect(posts(BATCHING)).toHaveLength(1);
    expect((await deliveriesOf([a.id])).map((d) => [d.status, d.attempts])).toEqual([["delivered", 1]]);
  });

  it("writes a batch's answers in a few statements however many events: its retries, the delivered ones together, the log lines together", async () => {
    const leads = [];
    for (let i = 0; i < 5; i++) leads.push(await subscribedLead(BATCHING));
    for (const l of leads) await transitionLead(env, byCaller(l.id, "Test"));
    const refused = (await deliveriesOf([leads[4]!.id]))[0]!;
    itemStatus.set(refused.id, 503);
    const batches: number[] = [];
    const DB = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "batch") return (stmts: D1PreparedStatement[]) => (batches.push(stmts.length), target.batch(stmts));
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await deliverCallbackBatches({ ...env, DB }, leads.map((l) => l.id));

    expect(posts(BATCHING)).toHaveLength(1);
    // The refused event's retry, one statement for the four delivered, one for the five log lines.
    expect(batches).toEqual([3]);
    const deliveries = await deliveriesOf(leads.map((l) => l.id));
    expect(deliveries.map((d) => [d.lead_id, d.status, d.attempts, d.last_status_code])).toEqual(
      leads.map((l, i) => [l.id, i < 4 ? "delivered" : "pending", 1, i < 4 ? 200 : 503]),
    );
    const logs = await rows<{ lead_id: number; message: string; context: string }>(
      `SELECT lead_id, message, context FROM logs WHERE type = 'provider' AND lead_id IN (${leads.map((l) => l.id).join(",")}) ORDER BY id`,
    );
    expect(logs.map((l) => l.lead_id).sort()).toEqual(leads.map((l) => l.id).sort());
    for (const log of logs) {
      const d = deliveries.find((x) => x.lead_id === log.lead_id)!;
      expect(log.message).toContain(`delivery ${d.id}, attempt 1/`);
      expect(log.message).toContain(d.status === "delivered" ? "→ 200 (delivered)" : "→ 200 (retry)");
      // Each line's request body is its own event.
      expect(JSON.parse(JSON.parse(log.context).request.body)).toMatchObject({ webhookId: d.id, leadId: d.lead_id, flag: "Test" });
    }
  });

  it("the safety alarm of a lead whose callbacks its batch delivered reads D1 once a minute later and clears itself; sooner it reads twice, as before", async () => {
    const [late, soon] = [await subscribedLead(BATCHING), await subscribedLead(BATCHING)];
    await processLeads(late.id, soon.id);
    expect((await deliveriesOf([late.id, soon.id])).map((d) => d.status)).toEqual(["delivered", "delivered"]);
    // The decision was armed a minute ago: nothing pending, nothing on its way, nothing read again.
    expect(await alarmStatements(late.id, 1)).toBe(1);
    // A decision armed just now may still be committing: the alarm reads what is due again.
    expect(await alarmStatements(soon.id, 0)).toBe(2);
    expect(posts(BATCHING)).toHaveLength(1);
  });

  it("the safety alarm of a restarted object (its arming time forgotten) whose lead's callbacks its batch delivered reads D1 once and clears itself", async () => {
    const lead = await subscribedLead(BATCHING);
    await processLeads(lead.id);
    expect((await deliveriesOf([lead.id])).map((d) => d.status)).toEqual(["delivered"]);
    // The object evicted before its alarm (as workerd does with an idle object): a new instance, which never armed one, wakes.
    await abortAllDurableObjects();
    expect(await runInDurableObject(leadObject(env, lead.id), (instance) => (instance as unknown as { lastArmedTs?: number }).lastArmedTs)).toBeUndefined();
    // Its safety alarm, a minute after the decision (sooner, the stored decision has it read D1 again).
    expect(await alarmStatements(lead.id, null, 1)).toBe(1);
    expect(posts(BATCHING)).toHaveLength(1);
  });

  it("an event refused in a queue batch is retried when its retry is due (5 s), its object's alarm set for it, not a minute on", async () => {
    const [ok, refused] = [await subscribedLead(BATCHING), await subscribedLead(BATCHING)];
    refusedLeads.add(refused.id);
    const before = Date.now();
    await processLeads(ok.id, refused.id);
    const alarmOf = (id: number) => runInDurableObject(leadObject(env, id), (_, state) => state.storage.getAlarm());
    const [pending] = await deliveriesOf([refused.id]);
    expect(pending).toMatchObject({ status: "pending", attempts: 1, last_status_code: 503 });
    const alarm = (await alarmOf(refused.id))!;
    expect(alarm).toBeGreaterThanOrEqual(before + 5_000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + 5_500);
    // The lead whose callback was delivered keeps the safety alarm its decision armed.
    expect(await alarmOf(ok.id)).toBeGreaterThan(Date.now() + 30_000);
    // When it fires (its retry due), the refused event goes again with the same id, and is delivered.
    refusedLeads.clear();
    await env.DB.prepare(`UPDATE webhook_deliveries SET next_attempt_ts = 0 WHERE id = ?`).bind(pending!.id).run();
    expect(await runDurableObjectAlarm(leadObject(env, refused.id))).toBe(true);
    expect(posts(BATCHING).at(-1)!.headers["webhook-id"]).toBe(pending!.id);
    expect((await deliveriesOf([refused.id]))[0]).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("an event the receiver refuses is retried on its own with the same id, and the subscription's later event waits for it", async () => {
    const [a, b] = [await subscribedLead(BATCHING), await subscribedLead(BATCHING)];
    await transitionLead(env, byCaller(a.id, "Test"));
    await transitionLead(env, byCaller(b.id, "Test"));
    itemStatus.set((await deliveriesOf([b.id]))[0]!.id, 503);
    // b's second change is pending behind its refused first one by the time the batch goes.
    await transitionLead(env, byCaller(b.id, "Valid"));
    await deliverCallbackBatches(env, [a.id, b.id]);

    expect(posts(BATCHING)).toHaveLength(1);
    expect(eventsOf(posts(BATCHING)[0]!).map((e) => [e.leadId, e.flag])).toEqual(expect.arrayContaining([[a.id, "Test"], [b.id, "Test"], [b.id, "Valid"]]));
    // The receiver refused b's first event and so did not apply the later one (424): both wait.
    const [bFirst, bSecond] = await deliveriesOf([b.id]);
    expect(bFirst).toMatchObject({ status: "pending", attempts: 1, last_status_code: 503 });
    expect(bSecond).toMatchObject({ status: "pending", attempts: 1, last_status_code: 424 });
    expect((await deliveriesOf([a.id]))[0]).toMatchObject({ status: "delivered", attempts: 1 });

    // The retries are single callbacks with the same webhook-ids, in order, from the lead object's alarm.
    await env.DB.prepare(`UPDATE webhook_deliveries SET next_attempt_ts = 0 WHERE lead_id = ?1 AND status = 'pending'`).bind(b.id).run();
    await runDurableObjectAlarm(leadObject(env, b.id));
    expect(posts(BATCHING).slice(1).map((s) => s.headers["webhook-id"])).toEqual([bFirst!.id, bSecond!.id]);
    expect((await deliveriesOf([b.id])).map((d) => [d.status, d.attempts])).toEqual([["delivered", 2], ["delivered", 2]]);
    expect(posts(BATCHING).slice(1).every((s) => JSON.parse(s.body).type === "lead.status_changed")).toBe(true);
  });
});
