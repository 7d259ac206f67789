import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ALLOCATION_RECOUNT_SQL, recountCampaign } from "../../src/leads/statistics";
import { STUCK_AGE_MS, sweepUnqueuedLeads } from "../../src/processr/sweeper";
import type { ProcessrMessage } from "../../src/processr/messages";
import { bearer, DEMO, loginAs } from "../helpers";
import { deliver, insertLead, leadRow, PROCESSR_QUEUE, rows } from "../leads/fixtures";
import { callWithQueue, fakeQueue, formBody, leadsPath } from "../publisher/support";
import { get } from "../v4/fixtures";

// Processr correctness under real traffic, black-box where it can be: leads captured through the
// publisher API, processed through the Worker's queue handler, read back through the APIs.
// Each test campaign copies campaign 601's five QA jobs (Required Value 40 hardfail, Duplicate
// Email 30, Test Data 15, Repeated Character 10, First/Last Name 5) and has publisher 12 on it.

let north: Record<string, string>;
let admin: Record<string, string>;
beforeAll(async () => {
  north = bearer(await loginAs(DEMO.northwind));
  admin = bearer(await loginAs(DEMO.admin));
});

interface TestCampaign {
  id: number;
  formId: number;
  emailField: string;
}

let nextCampaign = 7700;

async function makeCampaign(opts: { leadsRequired?: number; cap?: number | null; hold?: boolean; emailField?: string } = {}) {
  const id = ++nextCampaign;
  const formId = id * 10;
  const emailField = opts.emailField ?? "email";
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, leads_required, payout_amount,
                              hold_publisher_over_delivery, api_key)
       VALUES (?1, 'Correctness ' || ?1, 319, 1, 0, 4102444800000, ?2, '10.00', ?3, 'key-' || ?1)`,
    ).bind(id, opts.leadsRequired ?? 0, opts.hold ? 1 : 0),
    env.DB.prepare(`INSERT INTO campaign_statistics (campaign_id) VALUES (?1)`).bind(id),
    env.DB.prepare(`INSERT INTO forms (id, campaign_id, name) VALUES (?1, ?2, 'Form')`).bind(formId, id),
    env.DB.prepare(
      `INSERT INTO form_fields (form_id, name, type, required, position) VALUES
         (?1, 'firstName', 'text', 1, 0), (?1, 'lastName', 'text', 1, 1), (?1, ?2, 'email', 1, 2), (?1, 'submit', 'submit', 0, 3)`,
    ).bind(formId, emailField),
    env.DB.prepare(
      `INSERT INTO campaign_publishers (campaign_id, publisher_id, api_key, cap) VALUES (?1, 12, 'cp-key-' || ?1, ?2)`,
    ).bind(id, opts.cap ?? null),
    env.DB.prepare(
      // Required Value Check names the form's email field.
      `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, hardfail, position, config)
       SELECT ?1, type, label, score, hardfail, position, replace(config, '"email"', json_quote(?2))
         FROM campaign_processr_jobs WHERE campaign_id = 601`,
    ).bind(id, emailField),
  ]);
  return { id, formId, emailField } satisfies TestCampaign;
}

/** Captures leads through the publisher API (concurrently); returns the responses and the queued messages. */
async function capture(c: TestCampaign, leads: Record<string, string>[]) {
  const q = fakeQueue();
  const responses = await Promise.all(
    leads.map(async (l) => {
      const res = await callWithQueue(q, leadsPath(12, c.formId, c.id), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", ...north },
        body: formBody(l),
      });
      return { status: res.status, body: (await res.json()) as { data?: number; error?: string } };
    }),
  );
  return { responses, sent: q.sent as ProcessrMessage[] };
}

const person = (c: TestCampaign, email: string) => ({ firstName: "Ada", lastName: "Lovelace", [c.emailField]: email });

const flags = async (campaignId: number) =>
  rows<{ id: number; flag: string | null; processr_status: number }>(
    `SELECT id, flag, processr_status FROM leads WHERE campaign_id = ?1 ORDER BY id`,
    campaignId,
  );

const reserved = async (campaignId: number) =>
  (await env.DB.prepare(
    `SELECT reserved_leads AS counter, (${ALLOCATION_RECOUNT_SQL}) AS recount FROM campaign_publishers cp WHERE cp.campaign_id = ?1`,
  ).bind(campaignId).first<{ counter: number; recount: number }>())!;

describe("the lead's email is its form's email-type field, whatever its name", () => {
  it("stores it normalised at capture and catches duplicates on a form whose field is emailAddress", async () => {
    const c = await makeCampaign({ emailField: "emailAddress" });
    const first = await capture(c, [person(c, "  Ada.Lovelace@Example.ORG ")]);
    await deliver(PROCESSR_QUEUE, first.sent);
    const second = await capture(c, [person(c, "ada.lovelace@example.org")]);
    await deliver(PROCESSR_QUEUE, second.sent);
    const stored = await rows<{ email: string | null; flag: string }>(`SELECT email, flag FROM leads WHERE campaign_id = ?1 ORDER BY id`, c.id);
    expect(stored).toEqual([
      { email: "ada.lovelace@example.org", flag: "Valid" },
      { email: "ada.lovelace@example.org", flag: "Invalid" },
    ]);
    // The captured value itself is kept as submitted (trimmed) in the lead's data.
    const data = await rows<{ value: string }>(
      `SELECT value FROM lead_datas WHERE lead_id = ?1 AND name = 'emailAddress'`, first.responses[0]!.body.data,
    );
    expect(data).toEqual([{ value: "Ada.Lovelace@Example.ORG" }]);
  });

  it("follows an edit of that field through v4 lead-datas", async () => {
    const c = await makeCampaign({ emailField: "emailAddress" });
    const { responses } = await capture(c, [person(c, "before@example.org")]);
    const id = responses[0]!.body.data!;
    const res = await callWithQueue(fakeQueue(), "/api/v4/lead-datas", {
      method: "POST",
      headers: { "Content-Type": "application/ld+json", ...admin },
      body: JSON.stringify({ lead: `/api/v4/leads/${id}`, name: "emailAddress", value: " After@Example.org" }),
    });
    expect(res.status).toBe(201);
    expect((await env.DB.prepare(`SELECT email FROM leads WHERE id = ?1`).bind(id).first<{ email: string }>())!.email).toBe("after@example.org");
  });
});

describe("a publisher's double submit is a duplicate", () => {
  for (const n of [2, 10, 50]) {
    it(`${n} identical posts processed in one queue batch: one Valid, ${n - 1} duplicates`, async () => {
      const c = await makeCampaign();
      const { responses, sent } = await capture(c, Array.from({ length: n }, () => person(c, "burst@example.org")));
      expect(responses.every((r) => r.status === 201)).toBe(true);
      const out = await deliver(PROCESSR_QUEUE, sent);
      expect(out.explicitAcks).toHaveLength(n);
      const leads = await flags(c.id);
      expect(leads.map((l) => l.flag)).toEqual(["Valid", ...Array(n - 1).fill("Invalid")]);
      const dupFailed = await rows<{ n: number }>(
        `SELECT count(*) AS n FROM processr_job_leads r JOIN campaign_processr_jobs j ON j.id = r.campaign_processr_job_id
          WHERE j.campaign_id = ?1 AND j.type = 'duplicate_email_check' AND r.status = 'failed'`,
        c.id,
      );
      expect(dupFailed[0]!.n).toBe(n - 1);
    });

    it(`${n} identical posts processed one per batch, latest first: still one Valid, the earliest`, async () => {
      const c = await makeCampaign();
      const { sent } = await capture(c, Array.from({ length: n }, () => person(c, "burst@example.org")));
      const byId = [...sent].sort((a, b) => b.leadId - a.leadId);
      for (const msg of byId) await deliver(PROCESSR_QUEUE, [msg]);
      const leads = await flags(c.id);
      expect(leads.map((l) => l.flag)).toEqual(["Valid", ...Array(n - 1).fill("Invalid")]);
      expect(await recountCampaign(env.DB, c.id)).toMatchObject({ valid: 1, invalid: n - 1, processing: 0 });
    });
  }
});

describe("caps hold under concurrency", () => {
  it("a publisher's allocation: a burst reserves exactly the places left; a lead that ends non-billable frees its place", async () => {
    const c = await makeCampaign({ cap: 3 });
    const emails = Array.from({ length: 10 }, (_, i) => `cap${i}@example.org`);
    const { responses, sent } = await capture(c, emails.map((e) => person(c, e)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const over = await rows<{ over_allocation: number }>(`SELECT over_allocation FROM leads WHERE campaign_id = ?1 ORDER BY id`, c.id);
    expect(over.filter((l) => l.over_allocation === 0)).toHaveLength(3);
    expect(await reserved(c.id)).toEqual({ counter: 3, recount: 3 });

    // Processed: the three within the allocation are Valid (publisher-billable); the others are
    // Valid too but billable to the advertiser only (the campaign does not hold over-delivery).
    await deliver(PROCESSR_QUEUE, sent);
    const billing = await rows<{ over_allocation: number; flag: string; advertiser_billable: number; publisher_billable: number }>(
      `SELECT over_allocation, flag, advertiser_billable, publisher_billable FROM leads WHERE campaign_id = ?1 ORDER BY id`, c.id,
    );
    for (const l of billing) {
      expect(l).toMatchObject({ flag: "Valid", advertiser_billable: 1, publisher_billable: l.over_allocation ? 0 : 1 });
    }
    expect(await reserved(c.id)).toEqual({ counter: 3, recount: 3 });

    // One publisher-billable lead is marked Invalid: its place is free for the next lead.
    const within = (await rows<{ id: number }>(`SELECT id FROM leads WHERE campaign_id = ?1 AND over_allocation = 0 ORDER BY id LIMIT 1`, c.id))[0]!;
    const flagRes = await callWithQueue(fakeQueue(), `/api/v4/leads/${within.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json", ...admin },
      body: JSON.stringify({ leadFlag: "/api/v4/lead-flags/2", reason: "Rejected by the client" }),
    });
    expect(flagRes.status).toBe(200);
    expect(await reserved(c.id)).toEqual({ counter: 2, recount: 2 });
    await capture(c, [person(c, "next@example.org")]);
    const next = await rows<{ over_allocation: number }>(`SELECT over_allocation FROM leads WHERE campaign_id = ?1 ORDER BY id DESC LIMIT 1`, c.id);
    expect(next[0]!.over_allocation).toBe(0);
  });

  it("a lead that ends Invalid in processing releases its place", async () => {
    const c = await makeCampaign({ cap: 2 });
    const { sent } = await capture(c, [person(c, "same@example.org"), person(c, "same@example.org")]);
    expect(await reserved(c.id)).toEqual({ counter: 2, recount: 2 });
    await deliver(PROCESSR_QUEUE, sent);
    // The duplicate ended Invalid: one place left.
    expect(await reserved(c.id)).toEqual({ counter: 1, recount: 1 });
  });

  it("a campaign's leadsRequired: a burst past it gets exactly the places left, the rest 403 Campaign is fulfilled", async () => {
    const c = await makeCampaign({ leadsRequired: 4 });
    const { responses, sent } = await capture(c, Array.from({ length: 12 }, (_, i) => person(c, `full${i}@example.org`)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(4).fill(201), ...Array(8).fill(403)]);
    for (const r of responses.filter((r) => r.status === 403)) expect(JSON.stringify(r.body)).toMatch(/Campaign is fulfilled/);
    expect(await flags(c.id)).toHaveLength(4);
    expect(await recountCampaign(env.DB, c.id)).toMatchObject({ total: 4, processing: 4 });

    // One of them ends Invalid (a duplicate is no longer possible here: Test Data fails it → Caution,
    // not billable): its place comes back once it is processed.
    const [first, ...rest] = sent;
    await env.DB.prepare(`UPDATE lead_datas SET value = 'Test' WHERE lead_id = ?1 AND name = 'lastName'`).bind(first!.leadId).run();
    await deliver(PROCESSR_QUEUE, [first!, ...rest]);
    const after = await capture(c, [person(c, "late@example.org"), person(c, "later@example.org")]);
    expect(after.responses.map((r) => r.status).sort()).toEqual([201, 403]);
  });

  it("holds leads over the allocation at 510 when the campaign holds over-delivery; they are not flagged or delivered", async () => {
    const c = await makeCampaign({ cap: 1, hold: true });
    const { responses, sent } = await capture(c, [person(c, "held1@example.org"), person(c, "held2@example.org")]);
    await deliver(PROCESSR_QUEUE, sent);
    const leads = await rows<{ id: number; flag: string | null; processr_status: number; over_allocation: number }>(
      `SELECT id, flag, processr_status, over_allocation FROM leads WHERE campaign_id = ?1 ORDER BY id`, c.id,
    );
    expect(leads.map((l) => [l.over_allocation, l.flag, l.processr_status])).toEqual([[0, "Valid", 1000], [1, null, 510]]);
    const held = leads[1]!;
    expect(await rows(`SELECT id FROM processr_job_leads WHERE lead_id = ?1`, held.id)).toEqual([]);
    expect(await recountCampaign(env.DB, c.id)).toMatchObject({ held: 1, billable: 1, processing: 0 });
    const result = await get(`/api/v2.4/publisher/12/lead-result/${held.id}`, north);
    expect(result.body).toMatchObject({ processrStatus: 510, processrStatusName: "On Hold - Publisher Over Delivery", qaStatus: null, overAllocation: true });
    expect(responses.map((r) => r.status)).toEqual([201, 201]);
  });
});

describe("the sweeper picks up leads stuck at Sent to Processr", () => {
  it("re-sends a lead at 100 past the timeout once, then not again until the timeout passes again", async () => {
    const id = await insertLead();
    const now = Date.now();
    await env.DB.prepare(`UPDATE leads SET processr_status = 100, updated_ts = ?2 WHERE id = ?1`).bind(id, now - STUCK_AGE_MS - 1).run();
    const fresh = await insertLead();
    await env.DB.prepare(`UPDATE leads SET processr_status = 100, updated_ts = ?2, created_ts = ?2 WHERE id = ?1`).bind(fresh, now - 1000).run();
    const q = fakeQueue();
    const swept = await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: q as never }, now);
    expect(swept).toContain(id);
    expect(swept).not.toContain(fresh);
    expect(q.sent).toContainEqual({ type: "process", leadId: id });
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: fakeQueue() as never }, now + 60_000)).not.toContain(id);
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: fakeQueue() as never }, now + STUCK_AGE_MS + 1)).toContain(id);
    // Re-sent, it is processed like any lead.
    await deliver(PROCESSR_QUEUE, [{ type: "process", leadId: id }]);
    expect(await leadRow(id)).toMatchObject({ flag: "Valid", processr_status: 1000 });
  });

  it("leaves a stuck lead due when the send fails", async () => {
    const id = await insertLead();
    const now = Date.now();
    await env.DB.prepare(`UPDATE leads SET processr_status = 100, updated_ts = ?2 WHERE id = ?1`).bind(id, now - STUCK_AGE_MS - 1).run();
    await expect(sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: fakeQueue(true) as never }, now)).rejects.toThrow();
    expect(await sweepUnqueuedLeads({ DB: env.DB, PROCESSR_QUEUE: fakeQueue() as never }, now + 60_000)).toContain(id);
  });
});

describe("jobs that did not run", () => {
  it("after a failed hardfail job the rest are not_run and left out of maxScore", async () => {
    const c = await makeCampaign();
    // Capture requires lastName on this form; a lead edited since (or imported) may lack it.
    const id = await insertLead({ campaignId: c.id, formId: c.formId, data: { firstName: "Ada", email: "nolast@example.org" } });
    const sent = [{ type: "process" as const, leadId: id }];
    await deliver(PROCESSR_QUEUE, sent);
    const results = await rows<{ type: string; status: string; score: number }>(
      `SELECT j.type, r.status, r.score FROM processr_job_leads r JOIN campaign_processr_jobs j ON j.id = r.campaign_processr_job_id
        WHERE r.lead_id = ?1 ORDER BY j.position`,
      sent[0]!.leadId,
    );
    expect(results.map((r) => [r.type, r.status])).toEqual([
      ["required_value_check", "failed"],
      ["duplicate_email_check", "not_run"],
      ["test_data_check", "not_run"],
      ["repeated_character_check", "not_run"],
      ["first_last_name_check", "not_run"],
    ]);
    expect(await leadRow(sent[0]!.leadId)).toMatchObject({ flag: "Invalid", hardfail: 1, score: 0, max_score: 40 });
  });
});

describe("what a publisher learns from a duplicate", () => {
  it("only that the lead failed the duplicate check; admins read the detail", async () => {
    const c = await makeCampaign();
    const first = await capture(c, [person(c, "secret@example.org")]);
    await deliver(PROCESSR_QUEUE, first.sent);
    const second = await capture(c, [person(c, "secret@example.org")]);
    await deliver(PROCESSR_QUEUE, second.sent);
    const id = second.sent[0]!.leadId;

    const result = await get(`/api/v2.4/publisher/12/lead-result/${id}`, north);
    expect(result.status).toBe(200);
    expect(result.body.reasons).toEqual([expect.objectContaining({ message: "Failed duplicate check" })]);
    const asPublisher = await get(`/api/v4/processr-job-leads?lead.id=${id}&status=failed`, north);
    expect(asPublisher.body["hydra:member"]).toEqual([expect.objectContaining({ message: "Failed duplicate check" })]);
    const asAdmin = await get(`/api/v4/processr-job-leads?lead.id=${id}&status=failed`, admin);
    expect(asAdmin.body["hydra:member"][0].detail).toBe('Email "secret@example.org" is a duplicate of 1 earlier Valid or unflagged lead in this campaign');
    // Nothing a publisher reads about the lead says how many, or which, leads the campaign holds.
    const logs = await get(`/api/v4/logs?lead.id=${id}`, north);
    for (const text of [JSON.stringify(result.body), JSON.stringify(asPublisher.body), JSON.stringify(logs.body)]) {
      expect(text).not.toMatch(/earlier|is a duplicate of/);
    }
  });
});

describe("contract changes write campaign notes", () => {
  it("signing, unsigning and changing the allocation each leave a note; an unchanged value none", async () => {
    const c = await makeCampaign();
    const cp = (await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = ?1`).bind(c.id).first<{ id: number }>())!.id;
    const put = (body: unknown) =>
      callWithQueue(fakeQueue(), `/api/v4/campaign-publishers/${cp}`, {
        method: "PUT",
        headers: { "Content-Type": "application/ld+json", ...admin },
        body: JSON.stringify(body),
      });
    expect((await put({ signed: false })).status).toBe(200);
    expect((await put({ signed: false, cap: 250 })).status).toBe(200);
    expect((await put({ signed: true, cap: null })).status).toBe(200);
    const notes = await get(`/api/v4/campaign-notes?campaign.id=${c.id}&order[id]=asc`, admin);
    expect(notes.status).toBe(200);
    expect((notes.body["hydra:member"] as { note: string }[]).map((n) => n.note)).toEqual([
      "Contract of publisher Northwind Media (12) unsigned.",
      "Allocation of publisher Northwind Media (12) changed from uncapped to 250.",
      "Contract of publisher Northwind Media (12) signed.",
      "Allocation of publisher Northwind Media (12) changed from 250 to uncapped.",
    ]);
    expect(notes.body["hydra:member"][0]).toMatchObject({ author: DEMO.admin.username, campaignPublisher: `/api/v4/campaign-publishers/${cp}` });
    // The publisher reads the notes of its own contract.
    expect((await get(`/api/v4/campaign-notes?campaign.id=${c.id}`, north)).body["hydra:totalItems"]).toBe(4);
  });

  it("creating a contract leaves a note", async () => {
    const c = await makeCampaign();
    const res = await callWithQueue(fakeQueue(), "/api/v4/campaign-publishers", {
      method: "POST",
      headers: { "Content-Type": "application/ld+json", ...admin },
      body: JSON.stringify({ campaign: `/api/v4/campaigns/${c.id}`, publisher: "/api/v4/publishers/13", cap: 40, signed: false }),
    });
    expect(res.status).toBe(201);
    const notes = await get(`/api/v4/campaign-notes?campaign.id=${c.id}`, admin);
    expect((notes.body["hydra:member"] as { note: string }[]).map((n) => n.note)).toEqual([
      expect.stringMatching(/^Contract created for publisher .+ \(13\): unsigned, allocation 40\.$/),
    ]);
    // Another publisher's contract notes are not Northwind's to read.
    expect((await get(`/api/v4/campaign-notes?campaign.id=${c.id}`, north)).body["hydra:totalItems"]).toBe(0);
  });
});
