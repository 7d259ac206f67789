import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decideLead, subscribeToLead } from "../../src/leads/client";
import { readLeadStates } from "../../src/leads/lead-object";
import { appliedLeadIds, leadWriteStatements } from "../../src/leads/lead-writes";
import { ALLOCATION_RECOUNT_SQL, recountCampaign } from "../../src/leads/statistics";
import type { TransitionRequest } from "../../src/leads/types";
import { newWebhookSecret } from "../../src/webhooks/standard-webhooks";
import { CAMPAIGN, campaignStats, insertLead, leadRow, rows } from "./fixtures";

// leadWriteStatements leaves out the statements none of its writes needs (an allocation that does
// not move, callbacks without subscriptions, …); what the writes apply is the same.

const outcome = (leadId: number, flag: "Valid" | "Invalid"): TransitionRequest => ({
  leadId, to: flag, source: "processr", author: "processr", reason: `Processr says ${flag}.`,
  processr: flag === "Valid" ? { score: 100, maxScore: 100, hardfail: false, qaResult: "Valid" } : { score: 0, maxScore: 100, hardfail: true, qaResult: "Invalid" },
});

async function decided(leadId: number, flag: "Valid" | "Invalid") {
  const snapshot = (await readLeadStates(env.DB, [leadId])).get(leadId)!;
  return (await decideLead(env, { ...outcome(leadId, flag), snapshot, callbacksByCaller: true })).write!;
}

/** Which tables a batch's statements write, in order. */
const tables = (statements: D1PreparedStatement[]) =>
  statements.map((s) => /(?:INSERT INTO|UPDATE) (\w+)/.exec((s as unknown as { statement: string }).statement)![1]);

async function expectCountsEqualRecount() {
  const { total, valid, caution, invalid, test, billable, delivered, held, processing } = await campaignStats();
  expect({ total, valid, caution, invalid, test, billable, delivered, held, processing }).toEqual(await recountCampaign(env.DB, CAMPAIGN));
  const places = await rows<{ kept: number; counted: number }>(
    `SELECT cp.reserved_leads AS kept, (${ALLOCATION_RECOUNT_SQL}) AS counted FROM campaign_publishers cp WHERE cp.campaign_id = ?1`, CAMPAIGN,
  );
  for (const p of places) expect(p.kept).toBe(p.counted);
}

describe("leadWriteStatements", () => {
  it("a Valid outcome without subscriptions: no allocation or callback statement, the rest applied as before", async () => {
    const id = await insertLead();
    const statements = leadWriteStatements(env.DB, [await decided(id, "Valid")]);
    expect(tables(statements)).toEqual(["campaign_statistics", "lead_statistics_chronologies", "lead_notes", "lead_events", "leads"]);
    expect(appliedLeadIds(await env.DB.batch(statements))).toEqual(new Set([id]));
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000, advertiser_billable: 1 });
    expect(await rows(`SELECT to_flag FROM lead_notes WHERE lead_id = ?1`, id)).toEqual([{ to_flag: "Valid" }]);
    expect(await rows(`SELECT type FROM lead_events WHERE lead_id = ?1`, id)).toEqual([{ type: "lead.status_changed" }]);
    await expectCountsEqualRecount();
  });

  it("an Invalid outcome gives its publisher's place back: the allocation statement is there", async () => {
    const id = await insertLead();
    const statements = leadWriteStatements(env.DB, [await decided(id, "Invalid")]);
    expect(tables(statements)).toContain("campaign_publishers");
    expect(appliedLeadIds(await env.DB.batch(statements))).toEqual(new Set([id]));
    await expectCountsEqualRecount();
  });

  it("a batch takes a statement when one of its writes needs it: the callbacks of the lead with a subscription", async () => {
    const [plain, subscribed] = await Promise.all([insertLead(), insertLead()]);
    const cp = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = ?1 AND publisher_id = 12`).bind(CAMPAIGN).first<{ id: number }>();
    const sub = await subscribeToLead(env, { leadId: subscribed!, campaignPublisherId: cp!.id, callbackUrl: "https://receiver.example/api/webhook/sync", secret: newWebhookSecret() });
    expect(sub.ok).toBe(true);
    const writes = [await decided(plain!, "Valid"), await decided(subscribed!, "Invalid")];
    const statements = leadWriteStatements(env.DB, writes);
    expect(tables(statements)).toEqual(["campaign_statistics", "lead_statistics_chronologies", "campaign_publishers", "lead_notes", "lead_events", "webhook_deliveries", "leads"]);
    expect(appliedLeadIds(await env.DB.batch(statements))).toEqual(new Set([plain, subscribed]));
    expect(await rows(`SELECT lead_id FROM webhook_deliveries WHERE lead_id IN (?1, ?2)`, plain, subscribed)).toEqual([{ lead_id: subscribed }]);
    await expectCountsEqualRecount();
  });
});

describe("leadWriteStatements' parameters", () => {
  // The members of a write a statement's SQL reads: json_extract/json_type of the write's JSON.
  const readKeys = (sql: string) => new Set([...sql.matchAll(/(?:json_extract|json_type)\((?:v|w\.value|ok\.v), '\$\.(\w+)/g)].map((m) => m[1]!));

  it("each statement is bound the writes with every member its SQL reads and no other", async () => {
    const [plain, subscribed] = await Promise.all([insertLead(), insertLead()]);
    const cp = await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = ?1 AND publisher_id = 12`).bind(CAMPAIGN).first<{ id: number }>();
    await subscribeToLead(env, { leadId: subscribed!, campaignPublisherId: cp!.id, callbackUrl: "https://receiver.example/api/webhook/sync", secret: newWebhookSecret() });
    const writes = [await decided(plain!, "Valid"), await decided(subscribed!, "Invalid")];
    const statements = leadWriteStatements(env.DB, writes) as unknown as { statement: string; params: unknown[] }[];
    expect(statements).toHaveLength(7);
    for (const s of statements) {
      const bound = JSON.parse(s.params[0] as string) as Record<string, unknown>[];
      expect(bound).toHaveLength(2);
      for (const [i, w] of bound.entries()) {
        expect(new Set(Object.keys(w))).toEqual(readKeys(s.statement));
        for (const k of Object.keys(w)) expect(w[k]).toEqual(JSON.parse(JSON.stringify(writes[i]!))[k]);
      }
    }
    expect(appliedLeadIds(await env.DB.batch(statements as unknown as D1PreparedStatement[]))).toEqual(new Set([plain, subscribed]));
    await expectCountsEqualRecount();
  });
});

describe("leadWriteStatements' lead rows", () => {
  const manual = async (leadId: number, to: "Invalid" | "Deleted") => {
    const snapshot = (await readLeadStates(env.DB, [leadId])).get(leadId)!;
    const req: TransitionRequest = { leadId, to, source: to === "Deleted" ? "delete" : "manual", author: "admin@acme.test", reason: "checked by hand" };
    return (await decideLead(env, { ...req, snapshot, callbacksByCaller: true })).write!;
  };

  it("writes that set different columns in one batch: each row takes its own write's columns and keeps the others", async () => {
    const [outcome, marked, deleted] = [await insertLead(), await insertLead(), await insertLead()];
    await env.DB.batch(leadWriteStatements(env.DB, [await decided(marked, "Valid"), await decided(deleted, "Valid")]));
    const before = await leadRow(marked);
    const writes = [await decided(outcome, "Invalid"), await manual(marked, "Invalid"), await manual(deleted, "Deleted")];
    expect(appliedLeadIds(await env.DB.batch(leadWriteStatements(env.DB, writes)))).toEqual(new Set([outcome, marked, deleted]));
    expect(await leadRow(outcome)).toMatchObject({ flag: "Invalid", processr_status: 1000, processing_counter: 1, score: 0, max_score: 100, hardfail: 1, deleted_ts: null });
    expect(await leadRow(marked)).toMatchObject({
      flag: "Invalid", advertiser_billable: 0, deleted_ts: null,
      score: before!.score, max_score: before!.max_score, qa_result: before!.qa_result, processr_status: 1000, processing_counter: 1,
    });
    expect((await leadRow(deleted))!.deleted_ts).toEqual(expect.any(Number));
    await expectCountsEqualRecount();
  });
});

describe("leadWriteStatements' statistics", () => {
  it("a batch whose moves cancel out (Valid -> Invalid and Invalid -> Valid in one campaign and day) writes no statistics row", async () => {
    const [a, b] = await Promise.all([insertLead(), insertLead()]);
    await env.DB.batch(leadWriteStatements(env.DB, [await decided(a, "Valid"), await decided(b, "Invalid")]));
    const manual = async (leadId: number, to: "Valid" | "Invalid") => {
      const snapshot = (await readLeadStates(env.DB, [leadId])).get(leadId)!;
      const req: TransitionRequest = { leadId, to, source: "manual", author: "tester", userId: null, reason: "Checked by hand." };
      return (await decideLead(env, { ...req, snapshot, callbacksByCaller: true })).write!;
    };
    const writes = [await manual(a, "Invalid"), await manual(b, "Valid")];
    const statements = leadWriteStatements(env.DB, writes);
    expect(tables(statements).slice(0, 2)).toEqual(["campaign_statistics", "lead_statistics_chronologies"]);
    const results = await env.DB.batch(statements);
    // Each write moved its buckets; together they moved none: no upsert of a zero delta.
    expect(results.slice(0, 2).map((r) => r.meta.changes)).toEqual([0, 0]);
    expect(appliedLeadIds(results)).toEqual(new Set([a, b]));
    expect(await rows(`SELECT lead_id, to_flag FROM lead_notes WHERE lead_id IN (?1, ?2) AND author = 'tester' ORDER BY lead_id`, a, b)).toEqual([
      { lead_id: a, to_flag: "Invalid" },
      { lead_id: b, to_flag: "Valid" },
    ]);
    await expectCountsEqualRecount();
  });
});
