import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { leadObject, transitionLead } from "../../src/leads/client";
import { recountCampaign } from "../../src/leads/statistics";
import type { TransitionRequest } from "../../src/leads/types";
import { campaignStats, insertLead, leadEvents, leadRow, processLeads, rows } from "./fixtures";

// The per-lead Durable Object: which transitions it allows, what one transition writes, and that
// concurrent transitions of one lead are applied one at a time.

const manual = (leadId: number, to: TransitionRequest["to"], reason = "checked by hand"): TransitionRequest => ({
  leadId, to, source: "manual", userId: 167, author: "admin@acme.test", reason,
});

async function processedLead(data?: Record<string, string>) {
  const id = await insertLead(data ? { data } : {});
  await processLeads(id);
  return id;
}

interface NoteRow { user_id: number | null; author: string; from_flag: string | null; to_flag: string | null; reason: string | null; note: string }

describe("LeadObject.transition", () => {
  it("applies a manual change in one batch: lead, note, statistics, event", async () => {
    const id = await processedLead();
    const before = await campaignStats();
    const res = await transitionLead(env, manual(id, "Invalid", "Fake company"));
    expect(res).toEqual({ ok: true, leadId: id, from: "Valid", to: "Invalid", changed: true });
    expect(await leadRow(id)).toMatchObject({
      flag: "Invalid", qa_result: "Valid", processr_status: 1000, advertiser_billable: 0, publisher_billable: 0,
      advertiser_payout: "0.00", publisher_payout: "0.00",
    });
    const notes = await rows<NoteRow>(`SELECT user_id, author, from_flag, to_flag, reason, note FROM lead_notes WHERE lead_id = ?1 ORDER BY id`, id);
    expect(notes.at(-1)).toEqual({
      user_id: 167, author: "admin@acme.test", from_flag: "Valid", to_flag: "Invalid", reason: "Fake company",
      note: "Status changed from Valid to Invalid by admin@acme.test.",
    });
    const events = await leadEvents(id);
    expect(events.at(-1)!.type).toBe("lead.status_changed");
    expect(JSON.parse(events.at(-1)!.payload)).toMatchObject({ flag: "Invalid", previousFlag: "Valid", reason: "Fake company" });
    expect(await campaignStats()).toEqual({
      ...before, valid: before.valid! - 1, invalid: before.invalid! + 1, billable: before.billable! - 1, delivered: before.delivered! - 1,
    });
  });

  it("allows exactly the documented manual changes", async () => {
    const id = await processedLead({ firstName: "Ada", lastName: "Test", email: `c.${Date.now()}@example.org` });
    expect((await leadRow(id))!.flag).toBe("Caution");
    // Caution → Caution is not a change; → Caution from elsewhere is refused.
    expect(await transitionLead(env, manual(id, "Caution"))).toMatchObject({ ok: true, changed: false });
    expect(await transitionLead(env, manual(id, "Valid"))).toMatchObject({ ok: true, from: "Caution", to: "Valid", changed: true });
    expect(await transitionLead(env, manual(id, "Caution"))).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    expect(await transitionLead(env, manual(id, "Test"))).toMatchObject({ ok: true, from: "Valid", to: "Test" });
    expect(await transitionLead(env, manual(id, "Invalid"))).toMatchObject({ ok: true, from: "Test", to: "Invalid" });
    expect(await transitionLead(env, manual(id, "Valid"))).toMatchObject({ ok: true, from: "Invalid", to: "Valid" });
    expect(await transitionLead(env, manual(id, "Deleted"))).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    expect((await leadRow(id))!.flag).toBe("Valid");
  });

  it("lets an unprocessed lead only be marked Test by hand", async () => {
    const id = await insertLead();
    const refused = await transitionLead(env, manual(id, "Valid"));
    expect(refused).toEqual({
      ok: false, code: "INVALID_TRANSITION",
      message: "Unprocessed → Valid: The lead has not been processed yet; it can only be marked Test.",
    });
    expect(await transitionLead(env, manual(id, "Test"))).toMatchObject({ ok: true, from: null, to: "Test" });
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("lets webhooks and sync tags set only Valid or Invalid", async () => {
    const id = await processedLead();
    const base = { leadId: id, author: "sync:http://127.0.0.1:8788", reason: "client said so" };
    expect(await transitionLead(env, { ...base, source: "sync", to: "Caution" })).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    expect(await transitionLead(env, { ...base, source: "webhook", to: "Test" })).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    expect(await transitionLead(env, { ...base, source: "sync", to: "Invalid" })).toMatchObject({ ok: true, changed: true });
    expect(await transitionLead(env, { ...base, source: "webhook", to: "Valid" })).toMatchObject({ ok: true, changed: true });
  });

  it("soft-deletes, after which the lead accepts nothing", async () => {
    const id = await processedLead();
    const before = await campaignStats();
    const del = { leadId: id, to: "Deleted" as const, source: "delete" as const, userId: 167, author: "admin@acme.test" };
    expect(await transitionLead(env, del)).toEqual({ ok: true, leadId: id, from: "Valid", to: "Deleted", changed: true });
    expect((await leadRow(id))!.deleted_ts).toBeGreaterThan(0);
    expect(await transitionLead(env, del)).toMatchObject({ ok: true, changed: false });
    expect(await transitionLead(env, manual(id, "Invalid"))).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    expect(await transitionLead(env, { ...manual(id, "Valid"), source: "processr", processr: { score: 1, maxScore: 1, hardfail: false, qaResult: "Valid" } }))
      .toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    const after = await campaignStats();
    expect(after).toEqual({ ...before, total: before.total! - 1, valid: before.valid! - 1, billable: before.billable! - 1, delivered: before.delivered! - 1 });
    const events = await rows<{ type: string }>(`SELECT type FROM lead_events WHERE lead_id = ?1 ORDER BY id`, id);
    expect(events.map((e) => e.type)).toEqual(["lead.status_changed", "lead.deleted"]);
  });

  it("refuses a malformed request without writing anything", async () => {
    const id = await processedLead();
    const bogus = await transitionLead(env, { ...manual(id, "Valid"), to: "Bogus" as never });
    expect(bogus).toMatchObject({ ok: false, code: "INVALID_TRANSITION", message: expect.stringMatching(/^Invalid transition request: to: /) });
    const noAuthor = await transitionLead(env, { ...manual(id, "Invalid"), author: " " });
    expect(noAuthor).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    const badScore = await transitionLead(env, {
      leadId: id, to: "Valid", source: "processr", author: "processr", processr: { score: 5, maxScore: 4, hardfail: false, qaResult: "Valid" },
    });
    expect(badScore).toMatchObject({ ok: false, code: "INVALID_TRANSITION" });
    expect((await leadRow(id))!.flag).toBe("Valid");
    expect(await rows(`SELECT id FROM lead_notes WHERE lead_id = ?1`, id)).toHaveLength(1);
  });

  it("answers NOT_FOUND for an unknown lead", async () => {
    expect(await transitionLead(env, manual(88_888_888, "Test"))).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });

  it("leaves no alarm or hand-off intent behind for a Valid lead of a campaign without integrations", async () => {
    const id = await processedLead();
    expect((await leadRow(id))!.flag).toBe("Valid");
    const state = await runInDurableObject(leadObject(env, id), async (_object, ctx) => ({
      alarm: await ctx.storage.getAlarm(),
      intent: await ctx.storage.get("integrationsDueTs"),
    }));
    expect(state).toEqual({ alarm: null, intent: undefined });
  });

  it("keeps an over-allocation lead advertiser-billable but not publisher-billable", async () => {
    const id = await insertLead({ overAllocation: true });
    await processLeads(id);
    expect(await leadRow(id)).toMatchObject({
      flag: "Valid", advertiser_billable: 1, publisher_billable: 0, advertiser_payout: "10.00", publisher_payout: "0.00",
    });
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("serialises concurrent transitions: the notes form one chain ending in the final flag", async () => {
    const id = await processedLead();
    const targets = Array.from({ length: 20 }, (_, i): "Test" | "Valid" | "Invalid" => (i % 3 === 0 ? "Test" : i % 2 === 0 ? "Valid" : "Invalid"));
    const results = await Promise.all(targets.map((to, i) => transitionLead(env, manual(id, to, `flip ${i}`))));
    expect(results.every((r) => r.ok)).toBe(true);
    const notes = await rows<NoteRow>(`SELECT from_flag, to_flag, reason FROM lead_notes WHERE lead_id = ?1 ORDER BY id`, id);
    // The Processr's note, then one note per transition that changed the flag.
    expect(notes[0]).toMatchObject({ from_flag: null, to_flag: "Valid" });
    for (let i = 1; i < notes.length; i++) {
      expect(notes[i]!.from_flag).toBe(notes[i - 1]!.to_flag);
      expect(notes[i]!.to_flag).not.toBe(notes[i]!.from_flag);
    }
    const changed = results.filter((r) => r.ok && r.changed).length;
    expect(notes).toHaveLength(changed + 1);
    expect((await leadRow(id))!.flag).toBe(notes.at(-1)!.to_flag);
    // Each result's `from` is the `to` of the transition applied just before it.
    const applied = results.filter((r) => r.ok && r.changed).map((r) => r.ok && `${r.from}→${r.to}`);
    expect(applied.sort()).toEqual(notes.slice(1).map((n) => `${n.from_flag}→${n.to_flag}`).sort());
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });
});
