import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { base64ToBytes } from "../auth/crypto";
import { LEAD_FLAGS, type LeadFlag } from "../db/schema";
import type { Env } from "../env";
import { integrationJobs } from "../integrations";
import { enqueueIntegrations } from "../integrations/dispatch";
import { checkOutboundUrl, OutboundUrlError } from "../integrations/outbound-url";
import { PROCESSR_STATUS, PROCESSR_STATUS_NAMES } from "../processr/types";
import { type AllocationState, allocationStatements, bucketDelta, statisticsStatements } from "./statistics";
import { isoTs } from "../http/iso-time";
import { deliverDueCallbacks, nextCallbackDueTs, type StoredEventPayload } from "./sync-callbacks";
import { MAX_SUBSCRIPTIONS_PER_LEAD } from "./types";
import type {
  LeadEventType,
  LeadUpdateResult,
  OtherReasonRequest,
  ProcessrStatusRequest,
  ReprocessRequest,
  SubscribeRequest,
  SubscribeResult,
  TransitionRequest,
  TransitionResult,
} from "./types";

// One object per lead (src/leads/client.ts) owns the lead's status. The state itself lives in D1;
// the object is the lock around it: every method runs its read-decide-write inside
// blockConcurrencyWhile, so no two changes of one lead interleave between reading the current
// state and writing the new one. Each change is ONE D1 batch: the lead row, a note, the statistics
// delta, an event and one pending callback per active sync subscription. The alarm then delivers
// the callbacks (src/leads/sync-callbacks.ts) and retries the integrations hand-off.

type Flag = LeadFlag | null;

export interface LeadRow {
  id: number;
  campaign_id: number;
  publisher_id: number;
  lead_hash: string;
  flag: Flag;
  processr_status: number;
  advertiser_billable: number;
  advertiser_payout: string;
  over_allocation: number;
  deleted_ts: number | null;
  created_ts: number;
  payout_amount: string;
  default_publisher_rate: number;
  cp_payout: string | null;
}

const stateOf = (l: LeadRow): AllocationState => ({
  flag: l.flag,
  processrStatus: l.processr_status,
  advertiserBillable: !!l.advertiser_billable,
  advertiserPayout: l.advertiser_payout,
  deleted: l.deleted_ts !== null,
  overAllocation: !!l.over_allocation,
});

/** A change of a lead's state: its statistics buckets and its publisher's allocation move with it. */
function countStatements(db: D1Database, lead: LeadRow, after: AllocationState): D1PreparedStatement[] {
  const before = stateOf(lead);
  return [
    ...statisticsStatements(db, lead.campaign_id, lead.created_ts, bucketDelta(before, after)),
    ...allocationStatements(db, { campaignId: lead.campaign_id, publisherId: lead.publisher_id }, before, after),
  ];
}

/** Why a transition is impossible, or null when it is allowed (README "Processr and lead status"). */
export function transitionError(from: Flag, to: LeadFlag | "Deleted", source: TransitionRequest["source"]): string | null {
  if (to === "Deleted" || source === "delete") {
    return to === "Deleted" && source === "delete" ? null : 'Only a deletion sets "Deleted", and a deletion sets nothing else.';
  }
  if (source === "processr") return null;
  if (source === "webhook" || source === "sync") {
    return to === "Valid" || to === "Invalid" ? null : `A ${source} can only mark a lead Valid or Invalid.`;
  }
  // Manual changes: valid <-> invalid, caution -> valid/invalid, any -> test, test -> valid/invalid.
  if (to === "Test" || from === to) return null;
  if (to === "Caution") return "Caution is set by the Processr only.";
  if (from === null) return "The lead has not been processed yet; it can only be marked Test.";
  return null;
}

/** "whsec_" and 24 to 64 random bytes in base64 (Standard Webhooks). */
export function validSecret(secret: string): boolean {
  if (typeof secret !== "string" || !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return false;
  try {
    const n = base64ToBytes(secret.slice("whsec_".length)).length;
    return n >= 24 && n <= 64;
  } catch {
    return false;
  }
}

/** Decimal string × percent, rounded half up to 2 places ("10.00" × 55 → "5.50"). */
function percentOf(amount: string, percent: number): string {
  const cents = Math.round(Number(amount) * 100);
  const out = Math.round((cents * percent) / 100);
  return (out / 100).toFixed(2);
}

// Callers are in-process, but the object is the last line before D1: nothing unchecked gets written.
const flagSchema = z.enum(LEAD_FLAGS);
const score = z.number().int().min(0).max(1_000_000);
const transitionSchema = z.object({
  leadId: z.number().int().positive(),
  to: z.union([flagSchema, z.literal("Deleted")]),
  source: z.enum(["processr", "manual", "webhook", "sync", "delete"]),
  userId: z.number().int().positive().nullish(),
  author: z.string().trim().min(1).max(255),
  reason: z.string().max(2000).nullish(),
  processr: z
    .object({ score, maxScore: score, hardfail: z.boolean(), qaResult: flagSchema })
    .refine((p) => p.score <= p.maxScore, "score must not exceed maxScore")
    .optional(),
  onlyFrom: z.array(flagSchema.nullable()).optional(),
  snapshot: z
    .object({
      lead: z.object({
        id: z.number().int().positive(),
        campaign_id: z.number().int(),
        publisher_id: z.number().int(),
        lead_hash: z.string(),
        flag: flagSchema.nullable(),
        processr_status: z.number().int(),
        advertiser_billable: z.number().int(),
        advertiser_payout: z.string(),
        over_allocation: z.number().int(),
        deleted_ts: z.number().nullable(),
        created_ts: z.number(),
        payout_amount: z.string(),
        default_publisher_rate: z.number(),
        cp_payout: z.string().nullable(),
      }),
      subscriptions: z.array(z.number().int().positive()),
      jobTypes: z.array(z.string()),
    })
    .optional(),
  callbacksByCaller: z.boolean().optional(),
}) satisfies z.ZodType<TransitionRequest>;
const otherReasonSchema = z.object({
  leadId: z.number().int().positive(),
  reason: z.enum(["Replacement", "Other"]).nullable(),
  comment: z.string().max(2000).nullable(),
  userId: z.number().int().positive().nullish(),
  author: z.string().trim().min(1).max(255),
}) satisfies z.ZodType<OtherReasonRequest>;

/**
 * What a transition decides from: the lead with its campaign's payouts, its active subscriptions
 * and (to know whether it has integrations to be handed to) its campaign's enabled job types.
 */
export interface LeadState {
  lead: LeadRow;
  subscriptions: number[];
  jobTypes: string[];
}

/**
 * The states of several leads in one D1 batch: what an object reads under its lock, and what the
 * Processr consumer reads for a whole queue batch, to hand each object as a transition snapshot.
 */
export async function readLeadStates(db: D1Database, leadIds: readonly number[], withJobTypes = true): Promise<Map<number, LeadState>> {
  const ids = [...new Set(leadIds)];
  const out = new Map<number, LeadState>();
  if (ids.length === 0) return out;
  const list = ids.map((_, i) => `?${i + 1}`).join(", ");
  const [leadRes, subsRes, jobsRes] = await db.batch([
    db.prepare(
      `SELECT l.id, l.campaign_id, l.publisher_id, l.lead_hash, l.flag, l.processr_status, l.advertiser_billable, l.advertiser_payout, l.over_allocation,
              l.deleted_ts, l.created_ts, c.payout_amount, c.default_publisher_rate, cp.payout_amount AS cp_payout
         FROM leads l
         JOIN campaigns c ON c.id = l.campaign_id
         LEFT JOIN campaign_publishers cp ON cp.campaign_id = l.campaign_id AND cp.publisher_id = l.publisher_id
        WHERE l.id IN (${list})`,
    ).bind(...ids),
    db.prepare(`SELECT lead_id, id FROM sync_subscriptions WHERE lead_id IN (${list}) AND disabled_ts IS NULL ORDER BY lead_id, id`).bind(...ids),
    ...(withJobTypes
      ? [db.prepare(
        `SELECT DISTINCT l.id AS lead_id, j.type FROM leads l JOIN campaign_processr_jobs j ON j.campaign_id = l.campaign_id AND j.enabled = 1
          WHERE l.id IN (${list})`,
      ).bind(...ids)]
      : []),
  ]);
  for (const lead of leadRes!.results as LeadRow[]) out.set(lead.id, { lead, subscriptions: [], jobTypes: [] });
  for (const s of subsRes!.results as { lead_id: number; id: number }[]) out.get(s.lead_id)?.subscriptions.push(s.id);
  for (const j of (jobsRes?.results ?? []) as { lead_id: number; type: string }[]) out.get(j.lead_id)?.jobTypes.push(j.type);
  return out;
}

const INTEGRATIONS_DUE = "integrationsDueTs";
const INTEGRATIONS_RETRY_MS = 30_000;
// If the object dies between committing deliveries and arming its alarm, this earlier arming wakes it.
const SAFETY_ALARM_MS = 60_000;

export class LeadObject extends DurableObject<Env> {
  private leadId: number | undefined;
  /** Whether the call being served is the first this object ever got (it has changed nothing yet). */
  private firstCall = false;
  private delivering: Promise<void> | null = null;

  // ------------------------------------------------------------------ RPC

  async transition(input: TransitionRequest): Promise<TransitionResult> {
    const parsed = transitionSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");
      return { ok: false, code: "INVALID_TRANSITION", message: `Invalid transition request: ${issues}` };
    }
    const req = parsed.data;
    const { result, handOff } = await this.exclusive(req.leadId, () => this.applyTransition(req));
    if (handOff) await this.handOffIntegrations(req.leadId);
    return result;
  }

  async subscribe(req: SubscribeRequest): Promise<SubscribeResult> {
    return this.exclusive(req.leadId, () => this.applySubscribe(req));
  }

  async setProcessrStatus(req: ProcessrStatusRequest): Promise<LeadUpdateResult> {
    return this.exclusive(req.leadId, () => this.applyProcessrStatus(req));
  }

  async resetForReprocess(req: ReprocessRequest): Promise<LeadUpdateResult> {
    return this.exclusive(req.leadId, () => this.applyReset(req));
  }

  async setOtherReason(input: OtherReasonRequest): Promise<LeadUpdateResult> {
    const req = otherReasonSchema.parse(input);
    return this.exclusive(req.leadId, () => this.applyOtherReason(req));
  }

  override async alarm(): Promise<void> {
    // One delivery run at a time: a second wake-up while one is running (a manual trigger, a retried
    // alarm) waits for it; the running one re-arms the alarm from D1 when it ends.
    if (this.delivering) return this.delivering;
    this.delivering = this.deliver().finally(() => {
      this.delivering = null;
    });
    return this.delivering;
  }

  private async deliver() {
    const leadId = await this.ctx.storage.get<number>("leadId");
    if (leadId === undefined) return;
    await deliverDueCallbacks(this.env, leadId);
    const integrationsDue = await this.ctx.storage.get<number>(INTEGRATIONS_DUE);
    if (integrationsDue !== undefined && integrationsDue <= Date.now()) await this.handOffIntegrations(leadId);
    await this.exclusive(leadId, () => this.scheduleAlarm(leadId));
  }

  // ------------------------------------------------------------------ serialisation

  /**
   * Runs fn with no other event delivered to this object meanwhile. Errors are carried out of
   * blockConcurrencyWhile (an error inside it would reset the object) and rethrown to the caller.
   */
  private async exclusive<T>(leadId: number, fn: () => Promise<T>): Promise<T> {
    let out = { error: new Error("not run") } as { value: T } | { error: unknown };
    await this.ctx.blockConcurrencyWhile(async () => {
      try {
        await this.bind(leadId);
        out = { value: await fn() };
      } catch (error) {
        out = { error };
      }
    });
    if ("error" in out) throw out.error;
    return out.value;
  }

  /** Remembers which lead this object owns (the alarm needs it) and refuses calls for another. */
  private async bind(leadId: number) {
    if (!Number.isSafeInteger(leadId) || leadId <= 0) throw new Error(`invalid lead id ${leadId}`);
    this.leadId ??= await this.ctx.storage.get<number>("leadId");
    this.firstCall = this.leadId === undefined;
    if (this.leadId === undefined) {
      await this.ctx.storage.put("leadId", leadId);
      this.leadId = leadId;
    } else if (this.leadId !== leadId) {
      throw new Error(`the object of lead ${this.leadId} was called for lead ${leadId}`);
    }
  }

  /** The lead and its active subscriptions; with withJobTypes, also its campaign's enabled job types. */
  private async readLead(leadId: number, withJobTypes = false): Promise<{ lead: LeadRow | null } & Omit<LeadState, "lead">> {
    return (await readLeadStates(this.env.DB, [leadId], withJobTypes)).get(leadId) ?? { lead: null, subscriptions: [], jobTypes: [] };
  }

  // ------------------------------------------------------------------ transitions

  /** The transition, and whether the lead now has to be handed to its campaign's integrations. */
  private async applyTransition(req: TransitionRequest): Promise<{ result: TransitionResult; handOff: boolean }> {
    // Every change of a lead's state goes through its object, so an object that has never been
    // called has changed nothing since the caller read the snapshot: the D1 read can be skipped.
    const { lead, subscriptions, jobTypes } = this.firstCall && req.snapshot?.lead.id === req.leadId
      ? req.snapshot
      : await this.readLead(req.leadId, req.to !== "Deleted");
    const done = (result: TransitionResult) => ({ result, handOff: false });
    if (!lead) return done({ ok: false, code: "NOT_FOUND", message: `Lead ${req.leadId} not found.` });
    const from = lead.flag;
    if (lead.deleted_ts !== null) {
      if (req.to === "Deleted") return done({ ok: true, leadId: lead.id, from, to: "Deleted", changed: false });
      return done({ ok: false, code: "INVALID_TRANSITION", message: `Lead ${lead.id} is deleted; its status cannot change.` });
    }
    if (req.onlyFrom && !req.onlyFrom.includes(from)) {
      return done({ ok: false, code: "INVALID_TRANSITION", message: `Lead ${lead.id} is ${from ?? "Unprocessed"} now; it changed since it was read.` });
    }
    const error = transitionError(from, req.to, req.source);
    if (error) return done({ ok: false, code: "INVALID_TRANSITION", message: `${from ?? "Unprocessed"} → ${req.to}: ${error}` });
    if (req.source === "processr") {
      if (!req.processr) throw new Error("a processr transition needs its processr detail");
      // The outcome of a run already applied (a redelivered message): nothing to do.
      if (lead.processr_status === PROCESSR_STATUS.COMPLETE) {
        return done({ ok: true, leadId: lead.id, from, to: from ?? req.to, changed: false });
      }
    } else if (req.to === from) {
      return done({ ok: true, leadId: lead.id, from, to: req.to, changed: false });
    }

    const now = Date.now();
    const db = this.env.DB;
    const deleting = req.to === "Deleted";
    const flag: Flag = deleting ? from : (req.to as LeadFlag);
    const changed = deleting || flag !== from;
    const valid = !deleting && flag === "Valid";
    const set: Record<string, unknown> = {
      flag,
      // An over-allocation lead is billable to the advertiser, not to the publisher (Convertr's campaign documentation).
      advertiser_billable: valid ? 1 : 0,
      publisher_billable: valid && !lead.over_allocation ? 1 : 0,
      advertiser_payout: valid ? lead.payout_amount : "0.00",
      publisher_payout:
        valid && !lead.over_allocation ? (lead.cp_payout ?? percentOf(lead.payout_amount, lead.default_publisher_rate)) : "0.00",
      updated_ts: now,
    };
    if (deleting) set.deleted_ts = now;
    if (req.processr) {
      Object.assign(set, {
        qa_result: req.processr.qaResult,
        score: req.processr.score,
        max_score: req.processr.maxScore,
        hardfail: req.processr.hardfail ? 1 : 0,
        processr_status: PROCESSR_STATUS.COMPLETE,
      });
    }
    const after: AllocationState = {
      flag,
      processrStatus: (set.processr_status as number | undefined) ?? lead.processr_status,
      advertiserBillable: valid,
      advertiserPayout: set.advertiser_payout as string,
      deleted: deleting,
      overAllocation: !!lead.over_allocation,
    };
    const cols = Object.keys(set);
    const statements = [
      db
        .prepare(`UPDATE leads SET ${cols.map((c, i) => `${c} = ?${i + 2}`).join(", ")} WHERE id = ?1`)
        .bind(lead.id, ...cols.map((c) => set[c])),
      ...countStatements(db, lead, after),
    ];
    let deliveries = 0;
    if (changed) {
      const to = deleting ? "Deleted" : flag!;
      const what = req.processr
        ? `Processr outcome ${to} (score ${req.processr.score}/${req.processr.maxScore}${req.processr.hardfail ? ", hard fail" : ""})`
        : `Status changed from ${from ?? "Unprocessed"} to ${to}`;
      statements.push(
        db.prepare(
          `INSERT INTO lead_notes (lead_id, user_id, author, note, from_flag, to_flag, reason, created_ts)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
        ).bind(lead.id, req.userId ?? null, req.author, `${what} by ${req.author}.`, from, to, req.reason ?? null, now),
      );
      const event: StoredEventPayload = {
        type: deleting ? "lead.deleted" : "lead.status_changed",
        leadId: lead.id,
        leadHash: lead.lead_hash,
        flag: deleting ? null : flag,
        previousFlag: from,
        reason: req.reason ?? null,
        occurredTs: isoTs(now),
      };
      statements.push(...this.eventStatements(lead.id, event, subscriptions, now));
      deliveries = subscriptions.length;
    }
    // A lead that became Valid or changed flag goes to the campaign's integration jobs, if it has
    // any (read under this lock, as enqueueIntegrations would read them just after: with none, it
    // would queue nothing); each job's trigger decides whether it acts. The hand-off is recorded
    // before the commit, so that it survives a crash after it.
    const handOff = changed && !deleting && jobTypes.some((t) => t in integrationJobs);
    if (handOff) await this.ctx.storage.put(INTEGRATIONS_DUE, now + INTEGRATIONS_RETRY_MS);
    if (deliveries > 0 || handOff) await this.armSafetyAlarm();
    await db.batch(statements);
    // A caller delivering the callbacks itself leaves the safety alarm armed above as the fallback.
    if (deliveries > 0 && !req.callbacksByCaller) await this.scheduleAlarm(lead.id);
    return { result: { ok: true, leadId: lead.id, from, to: deleting ? "Deleted" : flag!, changed }, handOff };
  }

  /** An event row and one pending delivery per subscription (the event id is the lead's latest). */
  private eventStatements(leadId: number, event: StoredEventPayload, subscriptionIds: (number | null)[], now: number) {
    const db = this.env.DB;
    return [
      db.prepare(`INSERT INTO lead_events (lead_id, type, payload, created_ts) VALUES (?1, ?2, ?3, ?4)`)
        .bind(leadId, event.type satisfies LeadEventType, JSON.stringify(event), now),
      ...subscriptionIds.map((subscriptionId) =>
        db.prepare(
          `INSERT INTO webhook_deliveries (id, event_id, subscription_id, lead_id, status, attempts, next_attempt_ts, created_ts)
           VALUES (?1, (SELECT max(id) FROM lead_events WHERE lead_id = ?2),
                   coalesce(?3, (SELECT max(id) FROM sync_subscriptions WHERE lead_id = ?2)), ?2, 'pending', 0, ?4, ?4)`,
        ).bind(`msg_${crypto.randomUUID().replace(/-/g, "")}`, leadId, subscriptionId, now),
      ),
    ];
  }

  // ------------------------------------------------------------------ processr states without a flag

  private async applyProcessrStatus(req: ProcessrStatusRequest): Promise<LeadUpdateResult> {
    const { lead } = await this.readLead(req.leadId);
    if (!lead) return { ok: false, code: "NOT_FOUND", message: `Lead ${req.leadId} not found.` };
    // Only a lead still in the pipeline: never downgrade a complete, held or failed one.
    if (lead.deleted_ts !== null || lead.processr_status >= 500 || lead.processr_status === req.status) {
      return { ok: true, leadId: lead.id, changed: false, processrStatus: lead.processr_status };
    }
    const now = Date.now();
    const db = this.env.DB;
    await db.batch([
      db.prepare(`UPDATE leads SET processr_status = ?2, updated_ts = ?3 WHERE id = ?1`).bind(lead.id, req.status, now),
      db.prepare(
        `INSERT INTO lead_notes (lead_id, author, note, reason, created_ts) VALUES (?1, ?2, ?3, ?4, ?5)`,
      ).bind(lead.id, req.author, `Processr status: ${PROCESSR_STATUS_NAMES[req.status]}.`, req.reason, now),
      db.prepare(
        `INSERT INTO logs (type, lead_id, campaign_id, level, message, context, created_ts)
         VALUES ('processr', ?1, ?2, ?3, ?4, ?5, ?6)`,
      ).bind(
        lead.id, lead.campaign_id, req.status === PROCESSR_STATUS.FAILED ? "error" : "warning",
        `${PROCESSR_STATUS_NAMES[req.status]}: ${req.reason}`, req.context ? JSON.stringify(req.context) : null, now,
      ),
      ...countStatements(db, lead, { ...stateOf(lead), processrStatus: req.status }),
    ]);
    return { ok: true, leadId: lead.id, changed: true, processrStatus: req.status };
  }

  private async applyReset(req: ReprocessRequest): Promise<LeadUpdateResult> {
    const { lead } = await this.readLead(req.leadId);
    if (!lead || lead.deleted_ts !== null) return { ok: false, code: "NOT_FOUND", message: `Lead ${req.leadId} not found.` };
    const now = Date.now();
    const db = this.env.DB;
    // Back to Received: the consumer moves it on as for a new lead, and if the queue send that
    // follows is lost, the capture sweeper re-sends it like any lead stuck at Received.
    const status = PROCESSR_STATUS.RECEIVED;
    await db.batch([
      db.prepare(`DELETE FROM processr_job_leads WHERE lead_id = ?1`).bind(lead.id),
      db.prepare(
        `UPDATE leads SET processr_status = ?2, updated_ts = ?3 WHERE id = ?1`,
      ).bind(lead.id, status, now),
      db.prepare(
        `INSERT INTO lead_notes (lead_id, user_id, author, note, created_ts) VALUES (?1, ?2, ?3, ?4, ?5)`,
      ).bind(lead.id, req.userId ?? null, req.author, `Reprocessing requested by ${req.author}.`, now),
      db.prepare(
        `INSERT INTO logs (type, lead_id, campaign_id, level, message, created_ts) VALUES ('processr', ?1, ?2, 'info', ?3, ?4)`,
      ).bind(lead.id, lead.campaign_id, `Reprocessing requested by ${req.author}: job results cleared.`, now),
      ...countStatements(db, lead, { ...stateOf(lead), processrStatus: status }),
    ]);
    return { ok: true, leadId: lead.id, changed: true, processrStatus: status };
  }

  private async applyOtherReason(req: OtherReasonRequest): Promise<LeadUpdateResult> {
    const db = this.env.DB;
    const lead = await db
      .prepare(`SELECT id, processr_status, other_reason, other_comment, deleted_ts FROM leads WHERE id = ?1`)
      .bind(req.leadId)
      .first<{ id: number; processr_status: number; other_reason: string | null; other_comment: string | null; deleted_ts: number | null }>();
    if (!lead || lead.deleted_ts !== null) return { ok: false, code: "NOT_FOUND", message: `Lead ${req.leadId} not found.` };
    const comment = req.reason === null ? null : req.comment;
    if (lead.other_reason === req.reason && lead.other_comment === comment) {
      return { ok: true, leadId: lead.id, changed: false, processrStatus: lead.processr_status };
    }
    const now = Date.now();
    const what = req.reason === null ? `Mark as Other (${lead.other_reason}) removed` : `Marked as Other: ${req.reason}`;
    await db.batch([
      db.prepare(`UPDATE leads SET other_reason = ?2, other_comment = ?3, updated_ts = ?4 WHERE id = ?1`).bind(lead.id, req.reason, comment, now),
      db.prepare(
        `INSERT INTO lead_notes (lead_id, user_id, author, note, reason, created_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
      ).bind(lead.id, req.userId ?? null, req.author, `${what} by ${req.author}.`, comment, now),
    ]);
    return { ok: true, leadId: lead.id, changed: true, processrStatus: lead.processr_status };
  }

  // ------------------------------------------------------------------ subscriptions

  private async applySubscribe(req: SubscribeRequest): Promise<SubscribeResult> {
    try {
      checkOutboundUrl(this.env, req.callbackUrl);
    } catch (e) {
      if (e instanceof OutboundUrlError) return { ok: false, code: "INVALID_CALLBACK", message: e.message };
      throw e;
    }
    if (!validSecret(req.secret)) {
      return { ok: false, code: "INVALID_CALLBACK", message: 'The secret must be "whsec_" followed by 24 to 64 base64 bytes.' };
    }
    const db = this.env.DB;
    const [leadRes, cpRes, existingRes, noteRes, activeRes] = await db.batch([
      db.prepare(`SELECT id, campaign_id, lead_hash, flag, deleted_ts FROM leads WHERE id = ?1`).bind(req.leadId),
      db.prepare(`SELECT campaign_id FROM campaign_publishers WHERE id = ?1`).bind(req.campaignPublisherId),
      db.prepare(
        `SELECT id FROM sync_subscriptions
          WHERE lead_id = ?1 AND campaign_publisher_id = ?2 AND callback_url = ?3 AND disabled_ts IS NULL`,
      ).bind(req.leadId, req.campaignPublisherId, req.callbackUrl),
      db.prepare(`SELECT reason FROM lead_notes WHERE lead_id = ?1 AND to_flag IS NOT NULL ORDER BY id DESC LIMIT 1`).bind(req.leadId),
      db.prepare(`SELECT count(*) AS n FROM sync_subscriptions WHERE lead_id = ?1 AND disabled_ts IS NULL`).bind(req.leadId),
    ]);
    const lead = leadRes!.results[0] as
      | { id: number; campaign_id: number; lead_hash: string; flag: Flag; deleted_ts: number | null }
      | undefined;
    if (!lead) return { ok: false, code: "NOT_FOUND", message: `Lead ${req.leadId} not found.` };
    const cp = cpRes!.results[0] as { campaign_id: number } | undefined;
    if (!cp || cp.campaign_id !== lead.campaign_id) {
      return { ok: false, code: "NOT_FOUND", message: `Campaign publisher ${req.campaignPublisherId} not found on the lead's campaign.` };
    }
    const existing = existingRes!.results[0] as { id: number } | undefined;
    if (existing) {
      // The same subscriber asking again (a retried call): keep one subscription, take the new secret.
      await db.prepare(`UPDATE sync_subscriptions SET secret = ?2 WHERE id = ?1`).bind(existing.id, req.secret).run();
      return { ok: true, subscriptionId: existing.id };
    }
    // Each subscription is a callback per event: a bound on them bounds the calls one lead causes.
    if ((activeRes!.results[0] as { n: number }).n >= MAX_SUBSCRIPTIONS_PER_LEAD) {
      return {
        ok: false,
        code: "TOO_MANY_SUBSCRIPTIONS",
        message: `A lead takes at most ${MAX_SUBSCRIPTIONS_PER_LEAD} sync subscriptions, and this one has them.`,
      };
    }
    const now = Date.now();
    const deleted = lead.deleted_ts !== null;
    const statements = [
      db.prepare(
        `INSERT INTO sync_subscriptions (lead_id, campaign_publisher_id, callback_url, secret, created_ts)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id`,
      ).bind(lead.id, req.campaignPublisherId, req.callbackUrl, req.secret, now),
    ];
    // A subscriber placed after processing still learns the current status at once.
    const current = lead.flag !== null || deleted;
    if (current) {
      const event: StoredEventPayload = {
        type: deleted ? "lead.deleted" : "lead.status_changed",
        leadId: lead.id,
        leadHash: lead.lead_hash,
        flag: deleted ? null : lead.flag,
        previousFlag: deleted ? lead.flag : null,
        reason: (noteRes!.results[0] as { reason: string | null } | undefined)?.reason ?? null,
        occurredTs: isoTs(now),
      };
      statements.push(...this.eventStatements(lead.id, event, [null], now));
      await this.armSafetyAlarm();
    }
    const [inserted] = await db.batch(statements);
    if (current) await this.scheduleAlarm(lead.id);
    return { ok: true, subscriptionId: (inserted!.results[0] as { id: number }).id };
  }

  // ------------------------------------------------------------------ alarm and integrations

  private async armSafetyAlarm() {
    const at = Date.now() + SAFETY_ALARM_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Arms the alarm for the earliest due callback or integrations retry, or clears it. */
  private async scheduleAlarm(leadId: number) {
    const callbacks = await nextCallbackDueTs(this.env.DB, leadId);
    const integrations = (await this.ctx.storage.get<number>(INTEGRATIONS_DUE)) ?? null;
    const due = [callbacks, integrations].filter((t): t is number => t !== null);
    if (due.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Math.min(...due), Date.now()));
  }

  /**
   * Hands a lead that became Valid or changed flag to the integrations. The intent was stored before the commit
   * (INTEGRATIONS_DUE); if the queue is unavailable the alarm tries again. Integrations deliver at
   * most once per (lead, job), so a repeated hand-off is harmless.
   */
  private async handOffIntegrations(leadId: number) {
    try {
      // enqueueIntegrations re-reads the lead: only jobs whose trigger still holds are queued.
      await enqueueIntegrations(this.env, leadId, ["leadProcessed", "flagChanged"]);
      await this.ctx.storage.delete(INTEGRATIONS_DUE);
    } catch (e) {
      console.error("integrations hand-off failed; the lead object retries from its alarm", leadId, String(e));
      await this.ctx.storage.put(INTEGRATIONS_DUE, Date.now() + INTEGRATIONS_RETRY_MS);
    }
    await this.exclusive(leadId, () => this.scheduleAlarm(leadId));
  }
}
