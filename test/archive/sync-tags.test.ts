import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { handleIntegrateMessage } from "../../src/integrations/dispatch";
import { newWebhookSecret, webhookHeaders } from "../../src/webhooks/standard-webhooks";
import { bearer, call, DEMO, form, json, loginAs } from "../helpers";
import { ACME_CLIENT, delivery, type FetchHandler, insertJob, insertLead, SELF_ORIGIN, stubFetch, toSelf } from "../integrations/helpers";
import { archiveNow, whereIs } from "./helpers";

// Sync tags of archived leads, both ways. Acme campaign 602 delivers to acme campaign 601 through
// a Convertr Connect job with sync tags (this Worker is its own client): the delivered lead (602)
// holds the tag's secret, the client's lead (601) the subscription. Either or both archived, a
// status change at the client still reaches the delivered lead: the client's lead is restored by
// the write and calls back, the delivered lead is restored by the verified callback.

const CALLBACKS_ELSEWHERE = "https://agency.example.test/api/webhook/sync";
const handler: { current: FetchHandler } = {
  current: (req) => (new URL(req.url).origin === SELF_ORIGIN ? toSelf(req) : new Response(null, { status: 204 })),
};
const spy = stubFetch(handler);
afterAll(() => spy.mockRestore());

const waitFor = <T>(f: () => Promise<T>) => vi.waitFor(f, { timeout: 20_000, interval: 100 });
const lead = (id: number) =>
  env.DB.prepare(`SELECT flag, processr_status, lead_hash FROM leads WHERE id = ?1`).bind(id).first<{ flag: string | null; processr_status: number; lead_hash: string }>();
const pendingCallbacks = async (id: number) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM webhook_deliveries WHERE lead_id = ?1 AND status = 'pending'`).bind(id).first<{ n: number }>())!.n;

describe("sync tags of archived leads", () => {
  it("a status change of an archived client lead restores it and calls back, and the archived delivered lead is restored and changed", async () => {
    const admin = await loginAs(DEMO.admin);
    const jobId = await insertJob(602, "convertr_connect", {
      enterpriseUrl: SELF_ORIGIN, ...ACME_CLIENT, apiKey: "5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b", publisherId: 13, campaignId: 601, formId: 35,
      mapping: { firstName: "firstName", lastName: "surname", email: "emailAddress" }, syncTags: true,
    });
    const sent = await insertLead(602, 12, 36, { firstName: "Evelyn", surname: "Boyd", emailAddress: `evelyn.${Date.now()}@example.org` });
    expect(await handleIntegrateMessage(env, { type: "integrate", leadId: sent.id, jobId })).toBe("ack");
    const d = (await delivery(sent.id, jobId))!;
    expect(d.sync_secret).not.toBeNull();
    const client = Number(d.remote_lead_id);
    // The client processes its lead (Valid) and tells the sender through the tag.
    await waitFor(async () => {
      expect((await lead(client))?.processr_status).toBeGreaterThanOrEqual(900);
      expect((await delivery(sent.id, jobId))!.last_sync_event_id).not.toBeNull();
      expect(await pendingCallbacks(client)).toBe(0);
    });
    const clientHash = (await lead(client))!.lead_hash;

    await archiveNow([sent.id, client]);
    expect(await whereIs(sent.id)).toBe("archive");
    expect(await whereIs(client)).toBe("archive");

    // The client invalidates its archived lead with the validation webhook.
    const res = await call(`/api/webhook/invalidate/${clientHash}`, form({ reason: "Bounced", user: "qa@acme.test" }, bearer(admin)));
    expect(res.status).toBe(201);
    expect(await whereIs(client)).toBe("d1");
    await waitFor(async () => expect((await lead(sent.id))?.flag).toBe("Invalid"));
    expect(await whereIs(sent.id)).toBe("d1");
    const note = await env.DB.prepare(`SELECT author, from_flag, to_flag FROM lead_notes WHERE lead_id = ?1 AND to_flag IS NOT NULL ORDER BY id DESC`)
      .bind(sent.id).first();
    expect(note).toEqual({ author: `sync:${SELF_ORIGIN}`, from_flag: "Valid", to_flag: "Invalid" });

    // Both archived again; an admin marks the client's lead Valid through v4.
    await waitFor(async () => expect(await pendingCallbacks(client)).toBe(0));
    await archiveNow([]);
    expect([await whereIs(sent.id), await whereIs(client)]).toEqual(["archive", "archive"]);
    const patch = await call(`/api/v4/leads/${client}`, {
      method: "PATCH", headers: { ...bearer(admin), "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ leadFlag: "/api/v4/lead-flags/1", reason: "Checked by phone" }),
    });
    expect(patch.status, await patch.clone().text()).toBe(200);
    await waitFor(async () => expect((await lead(sent.id))?.flag).toBe("Valid"));
    expect([await whereIs(sent.id), await whereIs(client)]).toEqual(["d1", "d1"]);
  });

  it("a client's signed callback for an archived delivered lead is verified against the archived delivery, then restores and applies it", async () => {
    const jobId = await insertJob(602, "convertr_connect", {
      enterpriseUrl: "https://client.example.test", apiKey: "k".repeat(32), publisherId: 13, campaignId: 601, formId: 35, mapping: { email: "email" },
    });
    // Disabled: a lead marked Valid again is not handed to this unreachable client.
    await env.DB.prepare(`UPDATE campaign_processr_jobs SET enabled = 0 WHERE id = ?1`).bind(jobId).run();
    const tagged = [];
    for (const remote of [88001, 88002, 88003]) {
      const l = await insertLead(602, 12, 36, { email: `tagged${remote}@example.org` });
      const secret = newWebhookSecret();
      await env.DB.prepare(
        `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, status, idempotency_key, remote_lead_id, sync_secret)
         VALUES (?1, ?2, 'delivered', ?3, ?4, ?5)`,
      ).bind(l.id, jobId, crypto.randomUUID(), String(remote), secret).run();
      tagged.push({ id: l.id, remote, secret });
    }
    await archiveNow(tagged.map((t) => t.id));
    for (const t of tagged) expect(await whereIs(t.id)).toBe("archive");
    const [one, two, three] = tagged as [(typeof tagged)[0], (typeof tagged)[0], (typeof tagged)[0]];

    let eventId = 40;
    const event = (remote: number, flag: string) => ({
      type: "lead.status_changed", eventId: ++eventId, leadId: remote, leadHash: "c".repeat(32), flag, previousFlag: "Valid",
      reason: "Bounced email", occurredTs: "2026-11-30T05:00:00+00:00",
    });
    const post = async (secrets: string[], body: unknown) => {
      const raw = JSON.stringify(body);
      return call("/api/webhook/sync", { method: "POST", headers: await webhookHeaders(secrets, `msg_${crypto.randomUUID()}`, raw), body: raw });
    };

    // Signed with another secret: refused, and the lead stays archived.
    const forged = await post([newWebhookSecret()], event(one.remote, "Invalid"));
    expect(forged.status).toBe(401);
    expect(await whereIs(one.id)).toBe("archive");
    // Tags removed for the job: 410 Gone, the lead stays archived.
    await env.DB.prepare(`INSERT INTO sync_tag_states (campaign_processr_job_id, placed_ts, removed_ts) VALUES (?1, 1, 2)`).bind(jobId).run();
    expect((await post([one.secret], event(one.remote, "Invalid"))).status).toBe(410);
    expect(await whereIs(one.id)).toBe("archive");
    await env.DB.prepare(`DELETE FROM sync_tag_states WHERE campaign_processr_job_id = ?1`).bind(jobId).run();

    const single = event(one.remote, "Invalid");
    const res = await post([one.secret], single);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 200, message: "Lead marked Invalid.", changed: true });
    expect(await whereIs(one.id)).toBe("d1");
    expect((await lead(one.id))!.flag).toBe("Invalid");
    expect((await delivery(one.id, jobId))!.last_sync_event_id).toBe(single.eventId);
    // A late, older event of the client changes nothing (the restored delivery remembers the last one).
    const older = await post([one.secret], { ...event(one.remote, "Valid"), eventId: single.eventId - 1 });
    expect(((await older.json()) as { changed: boolean }).changed).toBe(false);

    // A batch naming two archived leads: each verified by its own secret, restored, applied.
    const events = [event(two.remote, "Caution"), event(three.remote, "Invalid")].map((e) => ({ ...e, webhookId: `msg_${crypto.randomUUID().replace(/-/g, "")}` }));
    const batch = await post([two.secret, three.secret], { type: "lead.events", events });
    expect(batch.status).toBe(200);
    const answer = (await batch.json()) as { results: { status: number; changed: boolean }[] };
    expect(answer.results.map((r) => [r.status, r.changed])).toEqual([[200, true], [200, true]]);
    for (const t of [two, three]) {
      expect(await whereIs(t.id)).toBe("d1");
      expect((await lead(t.id))!.flag).toBe("Invalid");
    }
  });

  it("a sync subscription to an archived lead restores it for the publisher that delivered it, and for no one else", async () => {
    const l = await insertLead(601, 13, 35, { email: `subscribed.${Date.now()}@example.org` }, "Valid");
    await archiveNow([l.id]);
    expect(await whereIs(l.id)).toBe("archive");
    const subscribe = (key: string) =>
      call("/api/sync/subscriptions", json({ leadId: l.id, callbackUrl: CALLBACKS_ELSEWHERE, secret: newWebhookSecret() }, "POST", { "X-Api-Key": key }));
    // Publisher 12's key of the same campaign: not its lead.
    const other = await subscribe("0c463164f0d4fcb604d8fd9f80737476");
    expect(other.status).toBe(404);
    expect(await whereIs(l.id)).toBe("archive");
    const own = await subscribe("5d1b0e7f2a9c4e3b8f6a1c2d3e4f5a6b");
    expect(own.status).toBe(201);
    expect(await own.json()).toMatchObject({ leadId: l.id, leadHash: l.hash });
    expect(await whereIs(l.id)).toBe("d1");
    expect((await env.DB.prepare(`SELECT count(*) AS n FROM sync_subscriptions WHERE lead_id = ?1`).bind(l.id).first<{ n: number }>())!.n).toBe(1);
    // The lead is Valid: the subscriber is told at once.
    await waitFor(async () => expect(await pendingCallbacks(l.id)).toBe(0));
  });
});
