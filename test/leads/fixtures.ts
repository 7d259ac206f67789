import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { z } from "zod";
import worker from "../../src/index";
import { CAPTURED, bucketsOf, statisticsStatements } from "../../src/leads/statistics";
import type { ProcessrMessage } from "../../src/processr/messages";
import { integrationJobs } from "../../src/integrations";
import { qaJobs } from "../../src/processr/jobs";
import type { IntegrationOutcome, JobLead, JobOutcome } from "../../src/processr/types";

// Leads inserted straight into D1 the way capture stores them (processr_status 0, statistics
// total+1 / processing+1, a place in the publisher's allocation), so that these tests do not
// depend on the capture surface.

export const CAMPAIGN = 601;
const FORM = 35;

let seq = 0;

export interface LeadInput {
  campaignId?: number;
  publisherId?: number;
  formId?: number;
  data?: Record<string, string>;
  ip?: string | null;
  createdTs?: number;
  overAllocation?: boolean;
}

/** Distinct, clean names and email: a lead that passes every job of campaign 601. */
export function cleanData(): Record<string, string> {
  seq += 1;
  const n = `${Date.now().toString(36)}${seq}`;
  return { firstName: "Ada", lastName: "Lovelace", email: `ada.${n}@example.org` };
}

export async function insertLead(input: LeadInput = {}): Promise<number> {
  const campaignId = input.campaignId ?? CAMPAIGN;
  const data = input.data ?? cleanData();
  const created = input.createdTs ?? Date.now();
  const hash = crypto.randomUUID().replace(/-/g, "");
  const row = await env.DB.prepare(
    `INSERT INTO leads (campaign_id, publisher_id, form_id, lead_hash, processr_status, over_allocation,
                        email, first_name, last_name, ip, created_ts, updated_ts)
     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id`,
  )
    .bind(
      campaignId, input.publisherId ?? 12, input.formId ?? FORM, hash, input.overAllocation ? 1 : 0,
      data.email ?? null, data.firstName ?? null, data.lastName ?? null, input.ip ?? null, created,
    )
    .first<{ id: number }>();
  const id = row!.id;
  await env.DB.batch([
    ...Object.entries(data).map(([name, value]) =>
      env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value, type) VALUES (?1, ?2, ?3, 'core.data')`).bind(id, name, value),
    ),
    env.DB.prepare(`INSERT INTO lead_datas (lead_id, name, value, type) VALUES (?1, 'leadHash', ?2, 'system')`).bind(id, hash),
    ...statisticsStatements(env.DB, campaignId, created, bucketsOf(CAPTURED)),
    // Capture reserves a place in the publisher's allocation for a lead within it.
    env.DB.prepare(
      `UPDATE campaign_publishers SET reserved_leads = reserved_leads + 1 WHERE campaign_id = ?1 AND publisher_id = ?2 AND ?3 = 0`,
    ).bind(campaignId, input.publisherId ?? 12, input.overAllocation ? 1 : 0),
  ]);
  return id;
}

/** A campaign of a test's own (advertiser 319), with its statistics row and these jobs in this order. */
export async function insertTestCampaign(id: number, jobs: { id: number; type: string; label: string; score: number }[], payout = "0.00") {
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO campaigns (id, name, advertiser_id, currency_id, start_ts, end_ts, api_key, payout_amount)
       VALUES (?1, ?2, 319, 1, 0, 4102444800000, ?3, ?4)`,
    ).bind(id, `Test campaign ${id}`, `test-campaign-key-${id}`, payout),
    env.DB.prepare(`INSERT INTO campaign_statistics (campaign_id) VALUES (?1)`).bind(id),
    ...jobs.map((j, position) =>
      env.DB.prepare(`INSERT INTO campaign_processr_jobs (id, campaign_id, type, label, score, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`)
        .bind(j.id, id, j.type, j.label, j.score, position),
    ),
  ]);
}

/** Registers a QA job type with no settings for a test; the returned function removes it. */
export function registerQaJob(type: string, run: (lead: JobLead) => JobOutcome | Promise<JobOutcome>): () => void {
  qaJobs[type] = { kind: "qa", type, catalogueId: null, name: type, configSchema: z.object({}), run };
  return () => delete qaJobs[type];
}

/** Registers an integration job type with no settings, delivering to `destination`; the returned function removes it. */
export function registerIntegrationJob(type: string, destination: string, deliver: () => Promise<IntegrationOutcome>): () => void {
  integrationJobs[type] = {
    kind: "integration", type, catalogueId: null, name: type, configSchema: z.object({}),
    destination: () => destination, isActive: () => true, deliver,
  };
  return () => delete integrationJobs[type];
}

let msgSeq = 0;

/** Delivers messages to the Worker's queue handler as the Queues runtime would, and reports acks/retries. */
export async function deliver(queue: string, bodies: ProcessrMessage[], attempts = 1) {
  const batch = createMessageBatch<ProcessrMessage>(
    queue,
    bodies.map((body) => ({ id: `m${++msgSeq}`, timestamp: new Date(), attempts, body })),
  );
  // The test double records which messages were retried but not their delay: capture it here.
  const delays: Record<string, number | undefined> = {};
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    vi.spyOn(m, "retry").mockImplementation((options?: QueueRetryOptions) => {
      delays[m.id] = options?.delaySeconds;
      retry(options);
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryDelays: delays };
}

export const PROCESSR_QUEUE = "leadflare-processr";
export const PROCESSR_DLQ = "leadflare-processr-dlq";

export const processLeads = (...leadIds: number[]) =>
  deliver(PROCESSR_QUEUE, leadIds.map((leadId) => ({ type: "process" as const, leadId })));

export interface LeadRowView {
  flag: string | null;
  qa_result: string | null;
  score: number;
  max_score: number;
  hardfail: number;
  processr_status: number;
  advertiser_billable: number;
  publisher_billable: number;
  advertiser_payout: string;
  publisher_payout: string;
  processing_counter: number;
  deleted_ts: number | null;
}

export function leadRow(id: number) {
  return env.DB.prepare(`SELECT * FROM leads WHERE id = ?1`).bind(id).first<LeadRowView>();
}

export async function rows<T>(sql: string, ...binds: unknown[]): Promise<T[]> {
  return (await env.DB.prepare(sql).bind(...binds).all<T>()).results;
}

/**
 * A lead's events (type and payload) by id, a payload that names its note (`{"n":id}`, issue 18)
 * with that note's facts in its place, as a sync callback reads them.
 */
export const leadEvents = (leadId: number) =>
  rows<{ type: string; payload: string }>(
    `SELECT e.type, iif(n.id IS NULL, e.payload, json_object('flag', n.to_flag, 'previousFlag', n.from_flag, 'reason', n.reason)) AS payload
       FROM lead_events e LEFT JOIN lead_note_rows n ON n.id = e.payload ->> '$.n' AND n.lead_id = e.lead_id
      WHERE e.lead_id = ?1 ORDER BY e.id`,
    leadId,
  );

export async function campaignStats(campaignId = CAMPAIGN) {
  const row = await env.DB.prepare(
    `SELECT total_leads AS total, valid_leads AS valid, caution_leads AS caution, invalid_leads AS invalid,
            test_leads AS test, billable_leads AS billable, delivered_leads AS delivered, held_leads AS held,
            processing_leads AS processing
       FROM campaign_statistics WHERE campaign_id = ?1`,
  )
    .bind(campaignId)
    .first<Record<string, number>>();
  return row!;
}

/**
 * Answers with `answer` every request whose URL starts with `prefix` (a sync callback's or a
 * delivery's destination); every other request goes out as usual. vi.restoreAllMocks() ends it.
 */
export function interceptFetch(prefix: string, answer: (req: Request, init: RequestInit | undefined) => Promise<Response> | Response) {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    return req.url.startsWith(prefix) ? answer(req, init) : realFetch(input, init);
  });
}

/** Campaign 601's contract with publisher 13 (agency): the demo's sync subscriber. */
export async function agencyContract601(): Promise<number> {
  return (await env.DB.prepare(`SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 13`).first<{ id: number }>())!.id;
}
