import type { Env } from "../env";
import { groupBy } from "../lib/group-by";
import type { ProcessrMessage } from "../processr/messages";
import type { IntegrationOutcome } from "../processr/types";
import { deliveryNote, enrichmentNote } from "./delivery-outcome";
import { type hostSlots, type LimiterCalls, type MoreRequests, sharedLimiterCalls, withHostSlot } from "./host-limiter";
import { integrationJobs } from "./index";
import { type IntegrationLead, integrationLeadsOf, integrationLeadStatements } from "./lead-values";
import { truncate } from "./provider-log";
import { newWebhookSecret } from "../webhooks/standard-webhooks";
import { syncSecretTerms, tagsKept } from "./sync-tags";
import { DEFAULT_TRIGGER, type IntegrationTrigger, type TriggerEvent, triggerHolds } from "./triggers";
import { memoByText } from "../lib/memo-by-text";
import { roundTripGroup, type SendStatements } from "./round-trip-group";
import type { OutboundIntegrationJob } from "./types";

// Outbound delivery of Valid leads through the campaign's integration jobs.
//
// At most once per (lead, job): the integration_deliveries row (unique on lead + job) carries a
// stable idempotency key sent with every attempt, and a short lease so that two copies of one
// queue message never call out at the same time. Transient failures come back to the queue with
// a backoff (or the client's Retry-After); final failures are recorded with the client's message.
//
// A retry is a fresh, delayed message rather than a queue-level retry of the same message: the
// queue moves a message to the dead-letter queue after max_retries (5, sized for crashes), while a
// client may be down for hours and a busy host may refuse a slot many times. The delivery row
// counts attempts and gives up after MAX_ATTEMPTS; host-busy waits are not attempts.

/** Backoff after the n-th failed attempt (seconds), before jitter; the last value repeats. */
const BACKOFF_SECONDS = [5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200];
/** Attempts before a transiently failing delivery is given up (≈ 1 day and a half of retries). */
export const MAX_ATTEMPTS = 14;
/** Cloudflare Queues cannot delay a message by more than 12 hours. */
const MAX_DELAY_SECONDS = 43200;
/** How long a claimed delivery is held by one worker. */
const CLAIM_MS = 90_000;

export function backoffSeconds(attempt: number, retryAfterMs?: number): number {
  const base = BACKOFF_SECONDS[Math.min(Math.max(attempt, 1), BACKOFF_SECONDS.length) - 1]!;
  const jittered = Math.round(base * (0.8 + Math.random() * 0.4));
  const honoured = retryAfterMs === undefined ? 0 : Math.ceil(retryAfterMs / 1000);
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, jittered, honoured));
}

/**
 * The integration job types, as the JSON array the delivery row's insert checks a job's type against. Read per
 * message, not once per isolate: the registry can gain types after this module loads (tests register their own).
 */
const integrationTypes = () => JSON.stringify(Object.keys(integrationJobs));

interface JobRow {
  id: number;
  campaign_id: number;
  type: string;
  label: string;
  enabled: number;
  config: string;
}

/**
 * Parsed configurations per job type and stored text, kept per isolate: every delivery and hand-off
 * of a job parses the same text (a delivery's config is read, never changed).
 */
const parsedConfig = memoByText(500, (def: OutboundIntegrationJob<unknown>, text: string) => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  return def.configSchema.safeParse(raw);
});

function parseConfig(job: Pick<JobRow, "type" | "config">) {
  const def = integrationJobs[job.type];
  return def ? { def, parsed: parsedConfig(def, job.config) } : null;
}

/** Whether any enabled integration job among a campaign's jobs acts on `event` (checked before reading anything more). */
export function hasTriggeredJob(jobs: readonly Pick<JobRow, "type" | "enabled" | "config">[], event: TriggerEvent): boolean {
  return jobs.some((j) => {
    // The Processr asks this for every lead: a config that does not name the event is not parsed.
    if (!j.enabled || (event !== DEFAULT_TRIGGER.event && !j.config.includes(`"${event}"`))) return false;
    const c = parseConfig(j);
    return c !== null && triggerOf(c).event === event;
  });
}

const triggerOf = (c: NonNullable<ReturnType<typeof parseConfig>>): IntegrationTrigger =>
  c.parsed.success ? (c.def.trigger?.(c.parsed.data) ?? DEFAULT_TRIGGER) : DEFAULT_TRIGGER;

/** What a lead's decision hands to the integrations when it became Valid or changed flag (the lead object's hand-off). */
export const HANDOFF_EVENTS: readonly TriggerEvent[] = ["leadProcessed", "flagChanged"];
/** Queue.sendBatch takes at most 100 messages. */
const SEND_BATCH = 100;

/**
 * Called when one of `events` happened to a lead or leads (they became Valid or changed flag: the lead
 * objects' hand-off, for a whole queue batch or callback batch at once; one was created: the
 * Processr; it was delivered: finish below): queues one "integrate" message per integration job
 * whose trigger is one of them and holds for the lead now. Two D1 round trips however many leads.
 */
export async function enqueueIntegrations(
  env: Pick<Env, "DB" | "PROCESSR_QUEUE">,
  leadIds: number | readonly number[],
  events: readonly TriggerEvent[],
): Promise<void> {
  const distinct = [...new Set(typeof leadIds === "number" ? [leadIds] : leadIds)];
  if (distinct.length === 0) return;
  const ids = JSON.stringify(distinct);
  // The leads and their campaigns' jobs in one round trip.
  const [leadsRead, jobsRead] = await env.DB.batch([
    env.DB.prepare("SELECT id, campaign_id, flag, deleted_ts, first_delivered_ts FROM leads WHERE id IN (SELECT value FROM json_each(?))").bind(ids),
    env.DB.prepare(
      `SELECT id, campaign_id, type, label, enabled, config FROM campaign_processr_jobs
        WHERE campaign_id IN (SELECT campaign_id FROM leads WHERE id IN (SELECT value FROM json_each(?))) AND enabled = 1 ORDER BY position, id`,
    ).bind(ids),
  ]);
  // Each job's configuration parsed once, however many of the leads are of its campaign.
  const parsedJobs = (jobsRead!.results as JobRow[]).flatMap((job) => {
    const c = parseConfig(job);
    return c === null ? [] : [{ job, c }];
  });
  const jobsByCampaign = groupBy(parsedJobs, ({ job }) => job.campaign_id);
  const wanted: [leadId: number, jobId: number, idempotencyKey: string][] = [];
  type LeadRead = { id: number; campaign_id: number; flag: string | null; deleted_ts: number | null; first_delivered_ts: number | null };
  for (const row of leadsRead!.results as LeadRead[]) {
    if (row.deleted_ts !== null) continue;
    const lead = { flag: row.flag, deletedTs: row.deleted_ts, firstDeliveredTs: row.first_delivered_ts };
    for (const { job, c } of jobsByCampaign.get(row.campaign_id) ?? []) {
      // An invalid configuration is still queued (on the default trigger), so that the failure is recorded on the lead.
      const trigger = triggerOf(c);
      if (events.includes(trigger.event) && triggerHolds(trigger, lead) && (!c.parsed.success || c.def.isActive(c.parsed.data))) {
        wanted.push([row.id, job.id, `leadflare-${crypto.randomUUID()}`]);
      }
    }
  }
  if (wanted.length === 0) return;
  // The rows, and which of them are still pending, in one round trip: delivered or finally rejected
  // deliveries are never sent again (a lead re-validated later included).
  const [, pendingRead] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?) WHERE true
       ON CONFLICT (lead_id, campaign_processr_job_id) DO NOTHING`,
    ).bind(JSON.stringify(wanted)),
    env.DB.prepare(
      "SELECT lead_id, campaign_processr_job_id AS job_id FROM integration_deliveries WHERE lead_id IN (SELECT value FROM json_each(?)) AND status = 'pending'",
    ).bind(JSON.stringify([...new Set(wanted.map(([leadId]) => leadId))])),
  ]);
  const pending = new Set((pendingRead!.results as { lead_id: number; job_id: number }[]).map((p) => `${p.lead_id}:${p.job_id}`));
  const messages = wanted
    .filter(([leadId, jobId]) => pending.has(`${leadId}:${jobId}`))
    .map(([leadId, jobId]) => ({ body: { type: "integrate" as const, leadId, jobId } }));
  for (let i = 0; i < messages.length; i += SEND_BATCH) await env.PROCESSR_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
}

type Verdict = "ack" | { retryAfterSeconds: number };

/** Comes back to the message after `seconds`; if the queue refuses, the consumer retries this one. */
async function later(env: Env, msg: Extract<ProcessrMessage, { type: "integrate" }>, seconds: number): Promise<Verdict> {
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds)));
  try {
    await env.PROCESSR_QUEUE.send({ type: "integrate", leadId: msg.leadId, jobId: msg.jobId }, { delaySeconds });
    return "ack";
  } catch {
    return { retryAfterSeconds: delaySeconds };
  }
}

/** What a message's handling reads before its claim (readIntegrations). */
interface IntegrateRead {
  job: JobRow | undefined;
  /** The lead, with its row's data as read (the claim of a shared read compares it). */
  lead: { lead: IntegrationLead; data: string | null } | undefined;
  /** The enabled jobs of the lead's campaign: whether a delivery has anything to hand off to. */
  campaignJobs: JobRow[];
}

/**
 * One round trip for any number of "integrate" messages: their jobs, leads and values, the
 * delivery rows, which the insert creates only for an integration job of the lead's campaign
 * (what the checks of integrate ask before going on), and the leads' campaigns' enabled jobs.
 */
async function readIntegrations(env: Env, msgs: readonly IntegrateMessage[]): Promise<(msg: IntegrateMessage) => IntegrateRead> {
  const leadIds = [...new Set(msgs.map((m) => m.leadId))];
  const jobColumns = "id, campaign_id, type, label, enabled, config";
  const [jobsRead, leadsRead, datasRead, , campaignJobsRead] = await env.DB.batch([
    env.DB.prepare(`SELECT ${jobColumns} FROM campaign_processr_jobs WHERE id IN (SELECT value FROM json_each(?))`).bind(
      JSON.stringify([...new Set(msgs.map((m) => m.jobId))]),
    ),
    ...integrationLeadStatements(env, leadIds),
    env.DB.prepare(
      `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key)
       SELECT l.id, j.id, m.value ->> 2 FROM json_each(?1) m JOIN leads l ON l.id = m.value ->> 0 JOIN campaign_processr_jobs j ON j.id = m.value ->> 1
        WHERE j.campaign_id = l.campaign_id AND j.type IN (SELECT value FROM json_each(?2))
       ON CONFLICT (lead_id, campaign_processr_job_id) DO NOTHING`,
    ).bind(JSON.stringify(msgs.map((m) => [m.leadId, m.jobId, `leadflare-${crypto.randomUUID()}`])), integrationTypes()),
    env.DB.prepare(
      `SELECT ${jobColumns} FROM campaign_processr_jobs
        WHERE campaign_id IN (SELECT campaign_id FROM leads WHERE id IN (SELECT value FROM json_each(?))) AND enabled = 1`,
    ).bind(JSON.stringify(leadIds)),
  ]);
  const jobs = new Map((jobsRead!.results as JobRow[]).map((j) => [j.id, j]));
  const leads = integrationLeadsOf(leadsRead!, datasRead!);
  const campaignJobs = groupBy(campaignJobsRead!.results as JobRow[], (j) => j.campaign_id);
  return (msg) => {
    const lead = leads.get(msg.leadId);
    return { job: jobs.get(msg.jobId), lead, campaignJobs: (lead && campaignJobs.get(lead.lead.campaignId)) ?? [] };
  };
}

type IntegrateMessage = Extract<ProcessrMessage, { type: "integrate" }>;

/**
 * Handles one "integrate" queue message; `slots`: the caller's host slot, kept from one message to
 * the next (hostSlots), else one taken and released for this message; `shared`: a batch's round
 * trips that its claim, its outcome and its limiter calls share (else they go alone).
 */
export async function handleIntegrateMessage(
  env: Env,
  msg: IntegrateMessage,
  slots?: ReturnType<typeof hostSlots>,
  shared?: Pick<IntegrateWith, "send" | "limiterCalls">,
): Promise<Verdict> {
  return integrate(env, msg, (await readIntegrations(env, [msg]))(msg), { slots, send: sendAlone(env), ...shared });
}

/** Statements in a D1 batch of their own, shared with no other caller. */
const sendAlone = (env: Pick<Env, "DB">): SendStatements => (s) => env.DB.batch(s);

/**
 * The "integrate" messages of a queue batch: one read for all of them (readIntegrations), then each
 * message handled when the caller runs it, as handleIntegrateMessage would. The shared read may be
 * older than the message's turn, so it decides only the way to a delivery: the claim applies only
 * if the lead (flag, deletion, first delivery, values) and the job (enabled, configuration) are
 * still as read, and a message that does not go that way (its claim refused so, or anything read
 * that would end it without a delivery) is handled from a fresh read of its own. The claims and
 * the outcomes of the batch's deliveries that run at the same time share D1 round trips
 * (roundTripGroup): each is its own statements, guarded by its own delivery row, as alone; so do
 * their calls to a host's limiter (sharedLimiterCalls), which answers each as its own.
 */
export async function integrationBatch(env: Env, msgs: readonly IntegrateMessage[]) {
  const read = await readIntegrations(env, msgs);
  const shared = { send: roundTripGroup(env.DB), limiterCalls: sharedLimiterCalls(env) };
  return (msg: IntegrateMessage, slots?: ReturnType<typeof hostSlots>): Promise<Verdict> =>
    integrate(env, msg, read(msg), { slots, ...shared, fresh: () => handleIntegrateMessage(env, msg, slots, shared) });
}

interface IntegrateWith {
  slots?: ReturnType<typeof hostSlots>;
  /** How the claim and the outcome go to D1. */
  send: SendStatements;
  /** How the slot's limiter calls go, with `slots` (alone when absent). */
  limiterCalls?: LimiterCalls;
  /** For a shared read: the message handled from a read of its own. */
  fresh?: () => Promise<Verdict>;
}

/** A message from what was read for it. */
async function integrate(env: Env, msg: IntegrateMessage, read: IntegrateRead, { slots, send, limiterCalls, fresh }: IntegrateWith): Promise<Verdict> {
  const { job, campaignJobs } = read;
  const lead = read.lead?.lead;
  // A shared read ends no message: that is for the message's own read to decide.
  const end = (): Promise<Verdict> | "ack" => fresh?.() ?? "ack";
  if (!job || !lead || job.campaign_id !== lead.campaignId) return end();
  const c = parseConfig(job);
  if (!c) return end();

  const key = [msg.leadId, msg.jobId] as const;
  if (!c.parsed.success) {
    if (fresh) return fresh();
    const why = c.parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ");
    await finish(env, job, lead.id, { status: "rejected", message: `Invalid job configuration: ${why}` }, false, send);
    return "ack";
  }
  const enriches = c.def.isEnrichment?.(c.parsed.data) ?? false;
  // Only when the job's trigger holds (by default: Valid, live leads); a pending row is picked up again when it does later.
  if (!triggerHolds(triggerOf(c), lead) || !job.enabled || !c.def.isActive(c.parsed.data)) return end();

  const now = Date.now();
  // The claim, which also sets what the job keeps before it calls out (its sync secret), in one statement.
  const token = crypto.randomUUID();
  const binds: unknown[] = [now + CLAIM_MS, now, ...key, now, token];
  const param = (value: unknown) => `?${binds.push(value)}`;
  const keepsSecret = c.def.syncSecretWithClaim?.(c.parsed.data);
  const secret = keepsSecret === undefined ? null : syncSecretTerms("?4", param(keepsSecret ? 1 : 0), param(newWebhookSecret()));
  // A shared read's claim applies only if the lead and the job are still as read (see integrationBatch).
  const asRead = fresh
    ? `AND EXISTS (SELECT 1 FROM leads WHERE id = ?3 AND flag IS ${param(lead.flag)} AND deleted_ts IS ${param(lead.deletedTs)}
                     AND first_delivered_ts IS ${param(lead.firstDeliveredTs)} AND data IS ${param(read.lead!.data)})
       AND EXISTS (SELECT 1 FROM campaign_processr_jobs WHERE id = ?4 AND enabled = 1 AND config = ${param(job.config)})`
    : "";
  type Claim = { attempts: number; idempotency_key: string; sync_secret?: string | null };
  type Row = { status: string; lease_until_ts: number | null; claim_token: string | null } & Claim;
  // The row with what the claim returns: a claim of this call that applied unseen is taken from it.
  const readBack = () => {
    const returning = keepsSecret === undefined ? "" : `, ${syncSecretTerms("?2", "?3", "NULL").returning}`;
    return env.DB.prepare(
      `SELECT status, lease_until_ts, claim_token, attempts, idempotency_key${returning}
         FROM integration_deliveries WHERE lead_id = ?1 AND campaign_processr_job_id = ?2`,
    )
      .bind(...key, ...(keepsSecret === undefined ? [] : [keepsSecret ? 1 : 0]))
      .first<Row>();
  };
  const mine = (r: Row | null) => r?.status === "pending" && r.claim_token === token;
  let claim: Claim | null;
  let row: Row | null = null;
  try {
    const [claimed] = await send([
      env.DB.prepare(
        `UPDATE integration_deliveries SET attempts = attempts + 1, lease_until_ts = ?1, updated_ts = ?2, claim_token = ?6${secret ? `, ${secret.set}` : ""}
         WHERE lead_id = ?3 AND campaign_processr_job_id = ?4 AND status = 'pending' AND (lease_until_ts IS NULL OR lease_until_ts <= ?5) ${asRead}
         RETURNING attempts, idempotency_key${secret ? `, ${secret.returning}` : ""}`,
      ).bind(...binds),
    ]);
    claim = (claimed!.results[0] ?? null) as Claim | null;
  } catch (e) {
    // The claim's answer lost with nothing to send it again (it went alone): it may have applied.
    row = await readBack();
    if (!mine(row)) throw e;
    claim = row;
  }
  if (!claim) {
    row = await readBack();
    // This claim applied in a shared batch whose answer was lost (that batch's claims were then
    // sent again alone, each finding its own lease): the delivery is this call's to make, now.
    if (mine(row)) claim = row;
  }
  if (!claim) {
    // Pending and held by nobody: a shared read's claim found the lead or the job changed since.
    if (fresh && row?.status === "pending" && !(row.lease_until_ts !== null && row.lease_until_ts > now)) return fresh();
    // Someone else is calling out right now: look again once their lease has run out.
    if (row?.status === "pending" && row.lease_until_ts) return later(env, msg, (row.lease_until_ts - now) / 1000 + 1);
    // A retried message of a delivery whose "delivered" hand-off failed: hand off again (jobs act once per lead).
    if (row?.status === "delivered" && !enriches) await enqueueIntegrations(env, lead.id, ["leadDelivered"]);
    return "ack";
  }

  let host: string;
  try {
    host = new URL(c.def.destination(c.parsed.data)).host;
  } catch {
    host = "invalid";
  }
  let slot: Awaited<ReturnType<typeof withHostSlot<IntegrationOutcome>>>;
  const requests = c.def.requestsPerDelivery?.(c.parsed.data) ?? 1;
  const deliver = (moreRequests: MoreRequests) =>
    c.def.deliver(lead, c.parsed.data, {
      env, jobId: job.id, idempotencyKey: claim.idempotency_key, attempt: claim.attempts,
      ...(secret ? { syncSecret: claim.sync_secret ?? null } : {}), requests, moreRequests,
    });
  try {
    slot = slots ? await slots.run(host, deliver, requests, limiterCalls) : await withHostSlot(env, host, deliver, requests);
  } catch (e) {
    slot = { ok: true, value: { status: "retry", message: `Delivery error: ${e instanceof Error ? e.message : String(e)}` } };
  }
  if (!slot.ok) {
    // The host is busy or at its rate: give the claim back without counting an attempt, and come back later.
    await env.DB.prepare(
      "UPDATE integration_deliveries SET attempts = attempts - 1, lease_until_ts = NULL WHERE lead_id = ? AND campaign_processr_job_id = ?",
    )
      .bind(...key)
      .run();
    return later(env, msg, slot.retryAfterMs / 1000 + Math.random() * 3);
  }
  const outcome = slot.value;
  if (outcome.status === "retry" && claim.attempts < MAX_ATTEMPTS) {
    await env.DB.prepare(
      "UPDATE integration_deliveries SET lease_until_ts = NULL, last_error = ?, updated_ts = ? WHERE lead_id = ? AND campaign_processr_job_id = ?",
    )
      .bind(truncate(outcome.message, 1000), Date.now(), ...key)
      .run();
    return later(env, msg, backoffSeconds(claim.attempts, outcome.retryAfterMs));
  }
  await finish(
    env,
    job,
    lead.id,
    outcome.status === "retry" ? { status: "rejected", message: `Gave up after ${claim.attempts} attempts: ${outcome.message}` } : outcome,
    enriches,
    send,
  );
  // The hand-off reads D1 only when a job of the campaign (as read above) acts on leadDelivered.
  const handOff = outcome.status === "delivered" && !enriches && hasTriggeredJob(campaignJobs, "leadDelivered");
  if (handOff) await enqueueIntegrations(env, lead.id, ["leadDelivered"]);
  return "ack";
}

/**
 * A dead-lettered "integrate" message (its handler crashed max_retries times): the delivery is
 * marked failed with the reason, like any final failure, so that the lead shows it, and the reason
 * is logged as an error line in the same batch, guarded like the rest of it: once, even when the
 * batch applied but its answer was lost and the dead letter comes again. A delivery already
 * delivered or failed is left alone and nothing is logged. A job that is gone (or not the lead's
 * campaign's) has no delivery to mark: the line is written alone, once per dead letter.
 */
export async function failDeadLetteredDelivery(
  env: Env,
  lead: { id: number; campaignId: number },
  jobId: number | null,
  reason: string,
  context: string,
): Promise<void> {
  const job = jobId === null
    ? null
    : await env.DB.prepare(
        `SELECT id, campaign_id, type, label, enabled, config FROM campaign_processr_jobs
         WHERE id = ? AND campaign_id = (SELECT campaign_id FROM leads WHERE id = ?)`,
      )
        .bind(jobId, lead.id)
        .first<JobRow>();
  if (!job) {
    // Guarded by the dead letter's message id (in its context): the queue may deliver it again.
    await env.DB.prepare(
      `INSERT INTO logs (type, lead_id, campaign_id, campaign_processr_job_id, level, message, context)
       SELECT 'provider', ?1, ?2, ?3, 'error', ?4, ?5
        WHERE NOT EXISTS (SELECT 1 FROM log_lines WHERE lead_id = ?1 AND trail IS NULL AND type = 'provider' AND context ->> '$.messageId' = ?5 ->> '$.messageId')`,
    )
      .bind(lead.id, lead.campaignId, jobId, reason, context)
      .run();
    return;
  }
  await env.DB.prepare(
    `INSERT INTO integration_deliveries (lead_id, campaign_processr_job_id, idempotency_key) VALUES (?, ?, ?)
     ON CONFLICT (lead_id, campaign_processr_job_id) DO NOTHING`,
  )
    .bind(lead.id, job.id, `leadflare-${crypto.randomUUID()}`)
    .run();
  const c = parseConfig(job);
  const enriches = c?.parsed.success ? (c.def.isEnrichment?.(c.parsed.data) ?? false) : false;
  await finish(env, job, lead.id, { status: "rejected", message: reason }, enriches, sendAlone(env), { campaignId: lead.campaignId, context });
}

/**
 * Records a final outcome of a pending delivery: the delivery row, the job result, a lead note
 * and, for an enrichment pull, the vendor's value as new lead data; one batch. Every statement is
 * guarded by the row still being pending (the note and the job result are written first, while it
 * is), so a delivery is finished once, even when a shared batch that applied is sent again alone
 * (roundTripGroup, after a lost answer); the delivery's own writes guard themselves the same way
 * (deliveryCallStatement). Says whether it was. An enrichment does not deliver the lead. `errorLog`:
 * the outcome's message is also an error line of the provider log, written under the same guard.
 */
async function finish(
  env: Env,
  job: JobRow,
  leadId: number,
  outcome: Exclude<IntegrationOutcome, { status: "retry" }>,
  enriches: boolean,
  send: SendStatements,
  errorLog?: { campaignId: number; context: string },
): Promise<boolean> {
  const now = Date.now();
  const message = truncate(outcome.message, 1000);
  const delivered = outcome.status === "delivered";
  const leadData = outcome.status === "delivered" ? outcome.leadData : undefined;
  const note = enriches ? enrichmentNote(job.type, leadData, job.label, message) : deliveryNote(job.type, delivered, job.label, message);
  const pending = `EXISTS (SELECT 1 FROM integration_deliveries WHERE lead_id = ?1 AND campaign_processr_job_id = ?2 AND status = 'pending')`;
  const stmts = [
    ...(outcome.status === "delivered" ? (outcome.writes ?? []) : []),
    // The CRM's answer is the admin-only detail; the message and the note are the generic line.
    // The table, not the view processr_job_leads: an upsert cannot go through a view.
    env.DB.prepare(
      `INSERT INTO job_results (lead_id, campaign_processr_job_id, status, message, detail, score, started_ts, finished_ts)
       SELECT ?1, ?2, ?3, ?4, ?6, 0, ?5, ?5 WHERE ${pending}
       ON CONFLICT (lead_id, campaign_processr_job_id) DO UPDATE SET
         status = excluded.status, message = excluded.message, detail = excluded.detail, finished_ts = excluded.finished_ts`,
    ).bind(leadId, job.id, delivered ? "passed" : "failed", note.note, now, message),
    env.DB.prepare(`INSERT INTO lead_notes (lead_id, author, note, reason) SELECT ?1, ?3, ?4, ?5 WHERE ${pending}`).bind(
      leadId,
      job.id,
      note.author,
      note.note,
      note.reason,
    ),
  ];
  if (leadData) {
    // A new name only: a value the lead already has (captured, or written meanwhile) is kept.
    stmts.push(
      env.DB.prepare(
        `INSERT INTO lead_datas (lead_id, name, value, type, created_ts, updated_ts) SELECT ?1, ?3, ?4, 'core.data', ?5, ?5 WHERE ${pending}
           AND NOT EXISTS (SELECT 1 FROM lead_datas WHERE lead_id = ?1 AND name = ?3)`,
      ).bind(leadId, job.id, leadData.name, leadData.value, now),
    );
  }
  if (errorLog) {
    stmts.push(
      env.DB.prepare(
        `INSERT INTO log_lines (type, lead_id, campaign_id, campaign_processr_job_id, level, message, context)
         SELECT 'provider', ?1, ?3, ?2, 'error', ?4, ?5 WHERE ${pending}`,
      ).bind(leadId, job.id, errorLog.campaignId, message, errorLog.context),
    );
  }
  if (delivered && !enriches) {
    stmts.push(
      env.DB.prepare(`UPDATE leads SET first_delivered_ts = coalesce(first_delivered_ts, ?3) WHERE id = ?1 AND ${pending}`).bind(leadId, job.id, now),
    );
  }
  stmts.push(
    delivered
      ? env.DB.prepare(
          `UPDATE integration_deliveries SET status = 'delivered', lease_until_ts = NULL, last_error = NULL,
             remote_lead_id = coalesce(?1, remote_lead_id), remote_lead_hash = coalesce(?2, remote_lead_hash),
             response_value = ?3, updated_ts = ?4, sync_placed_ts = CASE WHEN ?7 AND ${tagsKept("?6")} THEN ?4 ELSE sync_placed_ts END
           WHERE lead_id = ?5 AND campaign_processr_job_id = ?6 AND status = 'pending'`,
        ).bind(
          outcome.remoteLeadId ?? null, outcome.remoteLeadHash ?? null, outcome.responseValue ?? null, now, leadId, job.id,
          outcome.status === "delivered" && outcome.syncTagPlaced ? 1 : 0,
        )
      : env.DB.prepare(
          `UPDATE integration_deliveries SET status = 'failed', lease_until_ts = NULL, last_error = ?, updated_ts = ?
           WHERE lead_id = ? AND campaign_processr_job_id = ? AND status = 'pending'`,
        ).bind(message, now, leadId, job.id),
  );
  const results = await send(stmts);
  return results.at(-1)!.meta.changes > 0;
}
