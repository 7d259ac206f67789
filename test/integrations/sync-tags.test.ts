import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { removeSyncTags, syncTagSecret } from "../../src/integrations/sync-tags";
import { BACKFILL_BATCH, continueSyncTagsBackfill } from "../../src/integrations/sync-tags-backfill";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { ACME_CLIENT, delivery, type FetchHandler, insertJob, insertLead, SELF_ORIGIN, stubFetch, toSelf } from "./helpers";

// "Place Sync Tags" as an action with state, on a Convertr Connect job delivering acme campaign 602
// into acme campaign 601 (this very Worker is the client): placing tags back-fills the leads already
// delivered and covers later ones; removing them makes the client's callbacks 410 Gone, which the
// client answers by dropping its subscriptions.

const handler: { current: FetchHandler } = { current: toSelf };
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const config = {
  enterpriseUrl: SELF_ORIGIN, ...ACME_CLIENT, apiKey: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", publisherId: 13, campaignId: 601, formId: 35,
  mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: false,
};
type Status = { placed: boolean; placedTs: string | null; removedTs: string | null; coveredLeads: number; untaggedLeads: number; taggedNow?: number };

let seq = 0;
async function deliver(jobId: number) {
  seq += 1;
  const lead = await insertLead(602, 12, 36, { firstName: "Evelyn", surname: `Boyd${seq}`, emailAddress: `evelyn${seq}@example.org` });
  expect(await handleIntegrateMessage(env, { type: "integrate", leadId: lead.id, jobId })).toBe("ack");
  const d = (await delivery(lead.id, jobId))!;
  expect(d.status).toBe("delivered");
  return { leadId: lead.id, remoteId: Number(d.remote_lead_id), hash: d.remote_lead_hash };
}
const subscriptionsOf = async (remoteId: number) =>
  (await env.DB.prepare("SELECT disabled_ts FROM sync_subscriptions WHERE lead_id = ?").bind(remoteId).all<{ disabled_ts: number | null }>()).results;
const flagOf = async (id: number) => (await env.DB.prepare("SELECT flag FROM leads WHERE id = ?").bind(id).first<{ flag: string | null }>())!.flag;
const waitFor = <T>(f: () => Promise<T>) => vi.waitFor(f, { timeout: 20_000, interval: 100 });

describe("Place Sync Tags on a Convertr Connect job", () => {
  it("places tags for the leads already delivered and for later ones, and says how many are covered", async () => {
    const admin = await loginAs(DEMO.admin);
    const jobId = await insertJob(602, "convertr_connect", config);
    const url = `/api/v4/campaign-processr-jobs/${jobId}/sync-tags`;
    const before = [await deliver(jobId), await deliver(jobId)];
    for (const b of before) expect(await subscriptionsOf(b.remoteId)).toEqual([]);
    const initial = (await (await call(url, { headers: bearer(admin) })).json()) as Status;
    expect(initial).toMatchObject({ placed: false, placedTs: null, coveredLeads: 0, untaggedLeads: 2 });

    const placed = await call(url, { method: "POST", headers: bearer(admin) });
    expect(placed.status).toBe(200);
    const state = (await placed.json()) as Status;
    expect(state).toMatchObject({ placed: true, removedTs: null, coveredLeads: 2, untaggedLeads: 0, taggedNow: 2 });
    expect(Date.parse(state.placedTs!)).toBeGreaterThan(Date.now() - 60_000);
    for (const b of before) expect(await subscriptionsOf(b.remoteId)).toEqual([{ disabled_ts: null }]);

    // Later deliveries are tagged as they go; placing again changes nothing and keeps the date.
    const later = await deliver(jobId);
    expect(await subscriptionsOf(later.remoteId)).toHaveLength(1);
    const again = (await (await call(url, { method: "POST", headers: bearer(admin) })).json()) as Status;
    expect(again).toMatchObject({ placed: true, placedTs: state.placedTs, coveredLeads: 3, untaggedLeads: 0, taggedNow: 0 });

    // A back-filled lead's verdict at the client comes back (the tag brought the client's lead hash).
    const hash = (await delivery(before[0]!.leadId, jobId))!.remote_lead_hash;
    expect(before[0]!.hash).toBeNull();
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    const res = await call(`/api/webhook/invalidate/${hash}`, form({ reason: "Wrong company", user: "qa@acme.test" }, bearer(admin)));
    expect(res.status).toBe(201);
    await waitFor(async () => expect(await flagOf(before[0]!.leadId)).toBe("Invalid"));
  });

  it("removes them: the client's next callback gets 410 Gone and the client drops the subscription", async () => {
    const admin = await loginAs(DEMO.admin);
    const jobId = await insertJob(602, "convertr_connect", { ...config, syncTags: true });
    const url = `/api/v4/campaign-processr-jobs/${jobId}/sync-tags`;
    const d = await deliver(jobId);
    expect((await (await call(url, { headers: bearer(admin) })).json()) as Status).toMatchObject({ placed: true, placedTs: null, coveredLeads: 1 });
    await waitFor(async () => expect(await flagOf(d.remoteId)).toBe("Valid"));
    await waitFor(async () => expect((await delivery(d.leadId, jobId))!.last_sync_event_id).not.toBeNull());

    const removed = (await (await call(url, { method: "DELETE", headers: bearer(admin) })).json()) as Status;
    // Leads of the first test that turn Valid again are handed to this job too: count what it delivered.
    const delivered = await env.DB.prepare("SELECT count(*) AS n FROM integration_deliveries WHERE campaign_processr_job_id = ? AND status = 'delivered'")
      .bind(jobId).first<{ n: number }>();
    expect(removed).toMatchObject({ placed: false, coveredLeads: 0, untaggedLeads: delivered!.n });
    expect(removed.removedTs).not.toBeNull();

    const res = await call(`/api/webhook/invalidate/${d.hash}`, form({ reason: "Bounced", user: "qa@acme.test" }, bearer(admin)));
    expect(res.status).toBe(201);
    await waitFor(async () => expect((await subscriptionsOf(d.remoteId))[0]!.disabled_ts).not.toBeNull());
    expect(await flagOf(d.leadId)).toBe("Valid");
    // Later deliveries place no tag.
    const after = await deliver(jobId);
    expect(await subscriptionsOf(after.remoteId)).toEqual([]);
  });

  it("refuses a client without the sync extension, other job types and non-admins", async () => {
    const admin = await loginAs(DEMO.admin);
    const plain = await insertJob(602, "convertr_connect", { ...config, enterpriseUrl: "https://convertr-like.example" });
    handler.current = (req) => (new URL(req.url).origin === SELF_ORIGIN ? toSelf(req) : new Response("Not Found", { status: 404 }));
    try {
      const res = await call(`/api/v4/campaign-processr-jobs/${plain}/sync-tags`, { method: "POST", headers: bearer(admin) });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { violations: { propertyPath: string; message: string }[] }).violations).toEqual([
        { propertyPath: "config.enterpriseUrl", message: "Sync tags are not available at this client: it does not advertise leadflare's sync extension." },
      ]);
    } finally {
      handler.current = toSelf;
    }
    const check = await insertJob(602, "required_value_check", { fields: ["email"] });
    expect((await call(`/api/v4/campaign-processr-jobs/${check}/sync-tags`, { headers: bearer(admin) })).status).toBe(422);
    const pub = await loginAs(DEMO.northwind);
    expect((await call(`/api/v4/campaign-processr-jobs/${plain}/sync-tags`, json({}, "POST", bearer(pub)))).status).toBe(403);
    expect((await call(`/api/v4/campaign-processr-jobs/${plain}/sync-tags`, { method: "DELETE" })).status).toBe(401);
  });

  it("back-fills every delivered lead through the bulk queue after one POST (a step per message), each once; removing the tags stops it", async () => {
    const admin = await loginAs(DEMO.admin);
    const jobId = await insertJob(602, "convertr_connect", config);
    const url = `/api/v4/campaign-processr-jobs/${jobId}/sync-tags`;
    const LEADS = 4 * BACKFILL_BATCH + 10;
    const delivered: { remoteId: number }[] = [];
    // One at a time: the client's host takes a bounded number of calls at once.
    for (let i = 0; i < LEADS; i++) delivered.push(await deliver(jobId));
    // Every subscription call the client receives, by the client's lead id.
    const calls = new Map<number, number>();
    let onCall: (n: number) => Promise<void> = async () => {};
    handler.current = async (req) => {
      if (req.method === "POST" && new URL(req.url).pathname === "/api/sync/subscriptions") {
        const leadId = ((await req.clone().json()) as { leadId: number }).leadId;
        calls.set(leadId, (calls.get(leadId) ?? 0) + 1);
        await onCall([...calls.values()].reduce((a, b) => a + b, 0));
      }
      return toSelf(req);
    };
    const status = async () => (await (await call(url, { headers: bearer(admin) })).json()) as Status;
    try {
      const placed = (await (await call(url, { method: "POST", headers: bearer(admin) })).json()) as Status;
      expect(placed).toMatchObject({ placed: true, taggedNow: BACKFILL_BATCH, coveredLeads: BACKFILL_BATCH, untaggedLeads: LEADS - BACKFILL_BATCH });
      await vi.waitFor(async () => expect(await status()).toMatchObject({ coveredLeads: LEADS, untaggedLeads: 0 }), { timeout: 60_000, interval: 200 });
      for (const d of delivered) expect(calls.get(d.remoteId)).toBe(1);

      // A re-delivered message of the finished back-fill (its first step's token) places nothing.
      const state = (await env.DB.prepare("SELECT placed_ts, updated_ts FROM sync_tag_states WHERE campaign_processr_job_id = ?").bind(jobId)
        .first<{ placed_ts: number; updated_ts: number }>())!;
      expect(state.updated_ts - state.placed_ts).toBe(Math.ceil(LEADS / BACKFILL_BATCH));
      await continueSyncTagsBackfill(env, { type: "syncTagsBackfill", jobId, step: state.placed_ts + 1, afterId: 0, failures: 0 });
      expect(calls.size).toBe(LEADS);

      // Removed and placed again: the new back-fill is removed while it tags its 40th lead, mid-way
      // through its second step; no further lead gets a tag.
      expect((await call(url, { method: "DELETE", headers: bearer(admin) })).status).toBe(200);
      calls.clear();
      onCall = async (n) => {
        if (n === 40) expect((await call(url, { method: "DELETE", headers: bearer(admin) })).status).toBe(200);
      };
      expect((await call(url, { method: "POST", headers: bearer(admin) })).status).toBe(200);
      await vi.waitFor(() => expect(calls.size).toBe(40), { timeout: 20_000, interval: 100 });
      const removed = await status();
      expect(removed).toMatchObject({ placed: false, coveredLeads: 0, untaggedLeads: LEADS });
      // The step that was running sends nothing more: a message that would continue it places nothing either.
      const now = (await env.DB.prepare("SELECT updated_ts FROM sync_tag_states WHERE campaign_processr_job_id = ?").bind(jobId).first<{ updated_ts: number }>())!;
      await continueSyncTagsBackfill(env, { type: "syncTagsBackfill", jobId, step: now.updated_ts, afterId: 0, failures: 0 });
      await new Promise((r) => setTimeout(r, 1500));
      expect(calls.size).toBe(40);
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
    } finally {
      handler.current = toSelf;
    }
  }, 120_000);

  it("a delivery's secret is read with whether its job places tags: set once, kept by retries, none once the tags are removed", async () => {
    const placing = await insertJob(602, "convertr_connect", { ...config, syncTags: true });
    const notPlacing = await insertJob(602, "convertr_connect", config);
    const lead = await insertLead(602, 12, 36, { firstName: "Evelyn", surname: "Secret", emailAddress: "evelyn.secret@example.org" });
    for (const jobId of [placing, notPlacing]) {
      await env.DB.prepare("INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key) VALUES (?, ?, ?)")
        .bind(lead.id, jobId, `leadflare-${crypto.randomUUID()}`)
        .run();
    }
    const secretOf = async (jobId: number) => (await delivery(lead.id, jobId) as { sync_secret: string | null } | null)!.sync_secret;
    const first = await syncTagSecret(env, lead.id, placing, true);
    expect(first).toMatch(/^whsec_/);
    expect(await syncTagSecret(env, lead.id, placing, true)).toBe(first);
    expect(await secretOf(placing)).toBe(first);
    expect(await syncTagSecret(env, lead.id, notPlacing, false)).toBeNull();
    expect(await secretOf(notPlacing)).toBeNull();
    await removeSyncTags(env, placing);
    expect(await syncTagSecret(env, lead.id, placing, true)).toBeNull();
    // A job whose tags were placed by the action (its state says so) wants them whatever its config says.
    await env.DB.prepare("INSERT INTO sync_tag_states (campaign_processr_job_id, placed_ts, updated_ts) VALUES (?1, 1, 1)").bind(notPlacing).run();
    expect(await syncTagSecret(env, lead.id, notPlacing, false)).toMatch(/^whsec_/);
  });
});
