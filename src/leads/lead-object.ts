import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { base64ToBytes } from "../auth/crypto";
import { LEAD_FLAGS, type LeadFlag } from "../db/schema";
import type { Env } from "../env";
import { integrationJobs } from "../integrations";
import { enqueueIntegrations, HANDOFF_EVENTS } from "../integrations/dispatch";
import { checkOutboundUrl, OutboundUrlError } from "../integrations/outbound-url";
import { PROCESSR_STATUS, PROCESSR_STATUS_NAMES } from "../processr/types";
import { type AllocationState, bucketDelta, holdsAllocation, utcDay } from "./statistics";
import { appliedLeadIds, type LeadGuard, type LeadWrite, leadWriteStatements, unchangedSql } from "./lead-writes";
import { deliverDueCallbacks, NEXT_CALLBACK_DUE_SQL, nextCallbackDueTs, storedEventPayload } from "./sync-callbacks";
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
// the object decides every change of it, one at a time: every method runs inside
// blockConcurrencyWhile, so no two decisions of one lead interleave. A decision is a LeadWrite
// (src/leads/lead-writes.ts): the lead row, a note, the statistics delta, an event and one pending
// callback per active sync subscription, applied in ONE D1 batch only while the lead is still in
// the state it was decided from. The object commits its own decisions (and decides again from a
// fresh read if the lead changed meanwhile); the Processr consumer asks for decisions instead
// (decide) and commits those of a whole queue batch in its own D1 batch. The alarm delivers the
// callbacks (src/leads/sync-callbacks.ts) and retries the integrations hand-off.

type Flag = LeadFlag | null;

export interface LeadRow {
  id: number;
  campaign_id: number;
  publisher_id: number;
  lead_hash: string;
  flag: Flag;
  processr_status: number;
  processing_counter: number;
  advertiser_billable: number;
  advertiser_payout: string;
  over_allocation: number;
  deleted_ts: number | null;
  created_ts: number;
  updated_ts: number;
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

/**
 * A change of a lead from the state read as `state` to `after`: the columns set, its statistics
 * buckets and its publisher's allocation moving with it, guarded by the state it was decided from.
 */
function leadWrite(
  state: Pick<LeadState, "lead" | "subscriptions">,
  after: AllocationState,
  change: Pick<LeadWrite, "set" | "note" | "event" | "now">,
): LeadWrite {
  const { lead } = state;
  const before = stateOf(lead);
  return {
    leadId: lead.id,
    campaignId: lead.campaign_id,
    publisherId: lead.publisher_id,
    day: utcDay(lead.created_ts),
    guard: {
      updatedTs: lead.updated_ts,
      flag: lead.flag,
      processrStatus: lead.processr_status,
      maxSubscriptionId: Math.max(0, ...state.subscriptions),
    },
    delta: bucketDelta(before, after),
    allocation: Number(holdsAllocation(after)) - Number(holdsAllocation(before)),
    ...change,
  };
}

/**
 * A lead leaving Received for the Processr's doing counts a run (processing_counter): a run that
 * finishes at once goes from Received to its outcome in one write, with no Sent to Processr
 * (src/processr/run.ts sentToProcessr counts the others when it moves them).
 */
const runCounted = (lead: LeadRow): Pick<LeadWrite["set"], "processing_counter"> =>
  lead.processr_status === PROCESSR_STATUS.RECEIVED ? { processing_counter: lead.processing_counter + 1 } : {};

/** Times an object decides again after finding that its lead changed before its write applied. */
const MAX_DECISIONS = 5;

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
        processing_counter: z.number().int(),
        advertiser_billable: z.number().int(),
        advertiser_payout: z.string(),
        over_allocation: z.number().int(),
        deleted_ts: z.number().nullable(),
        created_ts: z.number(),
        updated_ts: z.number(),
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
 * Processr consumer reads for a whole queue batch (in loadLeads' batch), to hand each object.
 */
export async function readLeadStates(db: D1Database, leadIds: readonly number[], withJobTypes = true): Promise<Map<number, LeadState>> {
  const ids = [...new Set(leadIds)];
  return ids.length === 0 ? new Map() : leadStatesOf(await db.batch(leadStateStatements(db, ids, withJobTypes)));
}

/**
 * readLeadStates' statements, for a caller that adds them to a batch of its own (ids distinct, at
 * least one). `extraColumns` (SQL of the code's own, ", l.x, c.y"): more of the same rows for a
 * caller that needs them too (the Processr's run: one read of the leads instead of two), which
 * leadStatesOf's `leadOf` then takes out of the state's rows.
 */
export function leadStateStatements(db: D1Database, ids: readonly number[], withJobTypes = true, extraColumns = ""): D1PreparedStatement[] {
  const list = ids.map((_, i) => `?${i + 1}`).join(", ");
  return [
    db.prepare(
      `SELECT l.id, l.campaign_id, l.publisher_id, l.lead_hash, l.flag, l.processr_status, l.processing_counter, l.advertiser_billable,
              l.advertiser_payout, l.over_allocation, l.deleted_ts, l.created_ts, l.updated_ts, c.payout_amount, c.default_publisher_rate, cp.payout_amount AS cp_payout${extraColumns}
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
  ];
}

/** The states read by leadStateStatements (their results, in order); `leadOf`: a row's state lead (its extra columns left out). */
export function leadStatesOf(
  [leadRes, subsRes, jobsRes]: readonly D1Result[],
  leadOf: (row: Record<string, unknown>) => LeadRow = (row) => row as unknown as LeadRow,
): Map<number, LeadState> {
  const out = new Map<number, LeadState>();
  for (const row of leadRes!.results as Record<string, unknown>[]) {
    const lead = leadOf(row);
    out.set(lead.id, { lead, subscriptions: [], jobTypes: [] });
  }
  for (const s of subsRes!.results as { lead_id: number; id: number }[]) out.get(s.lead_id)?.subscriptions.push(s.id);
  for (const j of (jobsRes?.results ?? []) as { lead_id: number; type: string }[]) out.get(j.lead_id)?.jobTypes.push(j.type);
  return out;
}

/** A decided transition: the answer, what to write (null: nothing), and whether integrations follow. */
export interface Decision {
  result: TransitionResult;
  write: LeadWrite | null;
  /** The lead became Valid or changed flag and its campaign has integration jobs. */
  handOff: boolean;
}

function parseTransition(input: TransitionRequest): TransitionRequest | Extract<TransitionResult, { ok: false }> {
  const parsed = transitionSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");
  return { ok: false, code: "INVALID_TRANSITION", message: `Invalid transition request: ${issues}` };
}

/**
 * Whether the object must store something before the decision's write can commit: the hand-off
 * intent, or the safety alarm that stands in for the write's callbacks (LeadObject.beforeWrite).
 */
const storesBeforeWrite = ({ write, handOff }: Decision) => handOff || hasCallbacks(write);
/** The write sends callbacks: it has an event and its lead active subscriptions. */
const hasCallbacks = (write: LeadWrite | null) => !!write?.event && write.guard.maxSubscriptionId > 0;

/**
 * A decision from the caller's snapshot for which the object would store nothing (no write: the
 * lead is already as asked, or the transition is refused; or a write with no hand-off and no
 * callbacks, e.g. a Processr outcome on a lead without subscriptions or integrations), or null
 * when only the object can make it. The object would decide it from the same snapshot, and its
 * lock adds nothing to a write the caller commits after it: the write applies only while the
 * lead is as the snapshot has it (src/leads/lead-writes.ts). So its caller needs no call to the
 * object (nor the object's creation and storage, for a lead nothing else has touched).
 */
export function decisionWithoutObject(input: TransitionRequest & { snapshot: LeadState }): Decision | null {
  // Seen on the request as given before validating it, so that one the object makes (which
  // validates it) is not validated twice; one the unchecked request cannot make is the object's.
  try {
    if (input.snapshot?.lead.id !== input.leadId || storesBeforeWrite(decideTransition(input, input.snapshot, Date.now()))) return null;
  } catch {
    return null;
  }
  const req = parseTransition(input);
  if ("ok" in req) return { result: req, write: null, handOff: false };
  const decision = decideTransition(req, req.snapshot!, Date.now());
  return storesBeforeWrite(decision) ? null : decision;
}

/** What a transition does to the lead in `state`, decided without I/O. */
function decideTransition(
  req: TransitionRequest,
  state: { lead: LeadRow | null } & Omit<LeadState, "lead">,
  now: number,
): Decision {
  const { lead, jobTypes } = state;
  const done = (result: TransitionResult): Decision => ({ result, write: null, handOff: false });
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

  const deleting = req.to === "Deleted";
  const flag: Flag = deleting ? from : (req.to as LeadFlag);
  const changed = deleting || flag !== from;
  const valid = !deleting && flag === "Valid";
  const set: LeadWrite["set"] = {
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
      ...runCounted(lead),
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
  const to = deleting ? "Deleted" : flag!;
  const what = req.processr
    ? `Processr outcome ${to} (score ${req.processr.score}/${req.processr.maxScore}${req.processr.hardfail ? ", hard fail" : ""})`
    : `Status changed from ${from ?? "Unprocessed"} to ${to}`;
  const type: LeadEventType = deleting ? "lead.deleted" : "lead.status_changed";
  const event = storedEventPayload({ flag: deleting ? null : flag, previousFlag: from, reason: req.reason ?? null });
  const write = leadWrite(state as LeadState, after, {
    set,
    now,
    // A processr outcome that keeps the flag (a lead marked by hand while queued) is recorded on the row only.
    note: changed ? { userId: req.userId ?? null, author: req.author, note: `${what} by ${req.author}.`, fromFlag: from, toFlag: to, reason: req.reason ?? null } : null,
    event: changed ? { type, payload: event } : null,
  });
  // A lead that became Valid or changed flag goes to the campaign's integration jobs, if it has
  // any (read with the lead, as enqueueIntegrations would read them just after: with none, it
  // would queue nothing); each job's trigger decides whether it acts.
  const handOff = changed && !deleting && jobTypes.some((t) => t in integrationJobs);
  return { result: { ok: true, leadId: lead.id, from, to, changed }, write, handOff };
}

const INTEGRATIONS_DUE = "integrationsDueTs";
/** The undecided decision (LeadObject.undecided), stored: a restarted object must keep its safety alarm too. */
const UNDECIDED = "undecided";
const INTEGRATIONS_RETRY_MS = 30_000;
// If the object dies between committing deliveries and arming its alarm, this earlier arming wakes it.
const SAFETY_ALARM_MS = 60_000;

/** The name a lead's object is reached by (idFromName): its lead id is known from it, with nothing stored. */
export const leadObjectName = (leadId: number) => `lead:${leadId}`;

/** The lead id of an object's name (ctx.id.name: "lead:" and a positive safe integer), or null for any other name. */
export function leadIdOfName(name: string | undefined): number | null {
  const digits = /^lead:([1-9][0-9]*)$/.exec(name ?? "")?.[1];
  const id = Number(digits);
  return digits !== undefined && Number.isSafeInteger(id) ? id : null;
}

export class LeadObject extends DurableObject<Env> {
  /** The lead this object owns, from its name on first use (ownLeadId), or for an alarm without one from what earlier versions stored (alarmLeadId). */
  private leadId: number | undefined;
  private delivering: Promise<void> | null = null;
  /** When this object last armed its safety alarm for a decision or a subscription; in memory only (unknown after a restart). */
  private lastArmedTs: number | undefined;
  /**
   * The alarm as it was before a decision armed it for its hand-off alone (a write with no callbacks),
   * while nothing else has moved it since: once the lead is handed off it is set back without a D1
   * read. In memory only: unknown (undefined) after a restart or any other change of the alarm.
   */
  private alarmBeforeHandOff: number | null | undefined;
  /**
   * What the last decision with callbacks that its caller commits (decide) was decided from, while
   * it may still commit. Until D1 shows its lead moved on from that state, no setting of the alarm
   * goes past the safety time (scheduleAlarm): the callbacks its commit queues may be in D1 by then
   * with nobody else to send them. Stored as well (UNDECIDED): an object restarted in between
   * would otherwise take its first wake-up for a quiet one. Undefined: not read since the start.
   */
  private undecided: { guard: LeadGuard; safetyTs: number } | null | undefined;

  // ------------------------------------------------------------------ RPC

  async transition(input: TransitionRequest): Promise<TransitionResult> {
    const req = parseTransition(input);
    if ("ok" in req) return req;
    const { result, handOff } = await this.exclusive(req.leadId, () => this.applyTransition(req));
    if (handOff) await this.handOffIntegrations(req.leadId);
    return result;
  }

  /**
   * Decides a transition from the caller's snapshot without writing it: the caller commits the
   * write (leadWriteStatements, e.g. with the other leads of its batch), then hands the lead off if
   * asked to (handOffCommitted, src/leads/client.ts). A write that finds the lead changed applies
   * nothing; the caller then asks transition() instead, which decides again from D1. Until the caller is done, the safety alarm
   * armed here stands in for its callbacks and hand-off.
   */
  async decide(input: TransitionRequest & { snapshot: LeadState }): Promise<Decision> {
    const req = parseTransition(input);
    if ("ok" in req) return { result: req, write: null, handOff: false };
    if (req.snapshot?.lead.id !== req.leadId) throw new Error(`decide needs a snapshot of lead ${req.leadId}`);
    return this.exclusive(req.leadId, async () => {
      const decision = decideTransition(req, req.snapshot!, Date.now());
      await this.beforeWrite(decision);
      if (hasCallbacks(decision.write)) {
        this.undecided = { guard: decision.write!.guard, safetyTs: this.lastArmedTs! + SAFETY_ALARM_MS };
        await this.ctx.storage.put(UNDECIDED, this.undecided);
      }
      return decision;
    });
  }

  /**
   * The caller committed a decision of this object and handed its lead to the integrations
   * (Decision.handOff: handOffCommitted, for a whole batch of leads at once): the intent stored
   * before the write is done, and the alarm armed for it is set back to what is still due.
   */
  async handedOff(leadId: number): Promise<void> {
    await this.exclusive(leadId, () => this.handOffDone(leadId));
  }

  /**
   * The caller's batch left callbacks of this lead pending (a refused event waits for its retry):
   * the alarm is set for the earliest due, when that is sooner than it was, instead of the safety
   * alarm a minute on. Never later and never cleared, so a decision still on its way keeps its alarm.
   */
  async callbacksLeft(leadId: number): Promise<void> {
    await this.exclusive(leadId, async () => {
      const due = await nextCallbackDueTs(this.env.DB, leadId);
      const current = await this.ctx.storage.getAlarm();
      if (due === null || (current !== null && current <= due)) return;
      // The alarm moved: a hand-off's "set it back" would undo this (handOffDone then reads D1).
      this.alarmBeforeHandOff = undefined;
      await this.ctx.storage.setAlarm(Math.max(due, Date.now()));
    });
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
    const leadId = await this.alarmLeadId();
    if (leadId === null) return;
    const pending = await deliverDueCallbacks(this.env, leadId);
    const integrationsDue = await this.ctx.storage.get<number>(INTEGRATIONS_DUE);
    if (integrationsDue !== undefined && integrationsDue <= Date.now()) await this.handOffIntegrations(leadId);
    // No callback was pending, this object armed no decision in the last safety interval (which
    // bounds its caller's commit, as the alarm itself assumes) or since it was started, and no
    // decision that may still commit is stored (one a previous instance made): none is due, so the
    // alarm is set without reading them again. The safety alarm of every lead whose callbacks its
    // batch delivered ends here, evicted or not, with one D1 read instead of two.
    await this.exclusive(leadId, async () => {
      const quiet = (this.lastArmedTs === undefined || Date.now() - this.lastArmedTs >= SAFETY_ALARM_MS) && !(await this.undecidedNow());
      return this.scheduleAlarm(leadId, pending === 0 && quiet ? null : undefined);
    });
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
        this.bind(leadId);
        out = { value: await fn() };
      } catch (error) {
        out = { error };
      }
    });
    if ("error" in out) throw out.error;
    return out.value;
  }

  /** Refuses a call for a lead other than the object's own (an invalid id is never its own). */
  private bind(leadId: number) {
    const own = this.ownLeadId();
    if (own !== leadId) throw new Error(`the object of lead ${own} was called for lead ${leadId}`);
  }

  /**
   * The lead of an alarm. The runtime names an alarm's object as it names its calls, except for an
   * alarm set before it did (Cloudflare's Durable Object id documentation): objects of leadflare's
   * earlier versions stored their lead as "leadId", which such an alarm still finds. Without either
   * there is no lead to act for; its callbacks stay pending in D1 for the object's next call.
   */
  private async alarmLeadId(): Promise<number | null> {
    this.leadId ??= leadIdOfName(this.ctx.id.name) ?? (await this.ctx.storage.get<number>("leadId"));
    if (this.leadId !== undefined) return this.leadId;
    console.error(`lead object alarm without a lead: name ${JSON.stringify(this.ctx.id.name)}, nothing stored`);
    return null;
  }

  /**
   * The lead this object owns, from the name its calls reach it by (the runtime gives an object
   * reached through idFromName that name on ctx.id.name), so nothing is stored to know it. Objects
   * of earlier versions stored it as "leadId": their name gives the same id.
   */
  private ownLeadId(): number {
    this.leadId ??= leadIdOfName(this.ctx.id.name) ?? undefined;
    if (this.leadId === undefined) throw new Error(`a lead object is reached by the name "lead:<id>", not ${JSON.stringify(this.ctx.id.name)}`);
    return this.leadId;
  }

  /** The lead and its active subscriptions; with withJobTypes, also its campaign's enabled job types. */
  private async readLead(leadId: number, withJobTypes = false): Promise<{ lead: LeadRow | null } & Omit<LeadState, "lead">> {
    return (await readLeadStates(this.env.DB, [leadId], withJobTypes)).get(leadId) ?? { lead: null, subscriptions: [], jobTypes: [] };
  }

  // ------------------------------------------------------------------ transitions

  /** The transition, committed: decided from the snapshot or a read, again if the lead changed before the write. */
  private async applyTransition(req: TransitionRequest): Promise<Decision> {
    for (let n = 1; ; n++) {
      const state = n === 1 && req.snapshot?.lead.id === req.leadId ? req.snapshot : await this.readLead(req.leadId, req.to !== "Deleted");
      const decision = decideTransition(req, state, Date.now());
      if (!decision.write) return decision;
      await this.beforeWrite(decision);
      if (appliedLeadIds(await this.env.DB.batch(leadWriteStatements(this.env.DB, [decision.write]))).has(req.leadId)) {
        // A caller delivering the callbacks itself leaves the safety alarm armed above as the fallback.
        if (decision.write.event && state.subscriptions.length > 0 && !req.callbacksByCaller) await this.scheduleAlarm(req.leadId);
        return decision;
      }
      if (n === MAX_DECISIONS) throw new Error(`lead ${req.leadId} changed under each of ${n} decisions`);
    }
  }

  /**
   * Before a decision's write can commit: the hand-off intent is stored and the safety alarm
   * armed, so that both survive a crash right after the commit.
   */
  private async beforeWrite(decision: Decision) {
    if (!storesBeforeWrite(decision)) return;
    const { write, handOff } = decision;
    if (handOff) await this.ctx.storage.put(INTEGRATIONS_DUE, write!.now + INTEGRATIONS_RETRY_MS);
    const before = await this.armSafetyAlarm();
    if (!hasCallbacks(write)) this.alarmBeforeHandOff = before;
  }

  // ------------------------------------------------------------------ processr states without a flag

  private async applyProcessrStatus(req: ProcessrStatusRequest): Promise<LeadUpdateResult> {
    return this.commitGuarded(req.leadId, (state, now) => {
      const { lead } = state;
      // Only a lead still in the pipeline: never downgrade a complete, held or failed one.
      if (lead.deleted_ts !== null || lead.processr_status >= 500 || lead.processr_status === req.status) {
        return { result: { ok: true, leadId: lead.id, changed: false, processrStatus: lead.processr_status } };
      }
      return {
        result: { ok: true, leadId: lead.id, changed: true, processrStatus: req.status },
        write: leadWrite(state, { ...stateOf(lead), processrStatus: req.status }, {
          set: { processr_status: req.status, updated_ts: now, ...runCounted(lead) },
          now,
          note: { userId: null, author: req.author, note: `Processr status: ${PROCESSR_STATUS_NAMES[req.status]}.`, fromFlag: null, toFlag: null, reason: req.reason },
          event: null,
        }),
        before: (guarded) => [
          guarded(
            `INSERT INTO logs (type, lead_id, campaign_id, level, message, context, created_ts)
             SELECT 'processr', ?1, ?2, ?3, ?4, ?5, ?6 WHERE`,
            lead.id, lead.campaign_id, req.status === PROCESSR_STATUS.FAILED ? "error" : "warning",
            `${PROCESSR_STATUS_NAMES[req.status]}: ${req.reason}`, req.context ? JSON.stringify(req.context) : null, now,
          ),
        ],
      };
    });
  }

  private async applyReset(req: ReprocessRequest): Promise<LeadUpdateResult> {
    return this.commitGuarded(req.leadId, (state, now) => {
      const { lead } = state;
      if (lead.deleted_ts !== null) return { result: { ok: false, code: "NOT_FOUND", message: `Lead ${req.leadId} not found.` } };
      // Back to Received: the consumer moves it on as for a new lead, and if the queue send that
      // follows is lost, the capture sweeper re-sends it like any lead stuck at Received.
      const status = PROCESSR_STATUS.RECEIVED;
      return {
        result: { ok: true, leadId: lead.id, changed: true, processrStatus: status },
        write: leadWrite(state, { ...stateOf(lead), processrStatus: status }, {
          set: { processr_status: status, updated_ts: now },
          now,
          note: { userId: req.userId ?? null, author: req.author, note: `Reprocessing requested by ${req.author}.`, fromFlag: null, toFlag: null, reason: null },
          event: null,
        }),
        before: (guarded) => [
          guarded(`DELETE FROM processr_job_leads WHERE lead_id = ?1 AND`, lead.id),
          guarded(
            `INSERT INTO logs (type, lead_id, campaign_id, level, message, created_ts) SELECT 'processr', ?1, ?2, 'info', ?3, ?4 WHERE`,
            lead.id, lead.campaign_id, `Reprocessing requested by ${req.author}: job results cleared.`, now,
          ),
        ],
      };
    });
  }

  /**
   * Read, decide, write, for a change other than a transition: `before` gives the change's own
   * statements, made by `guarded` (which ends their SQL with the condition that the lead is still
   * as read), to run ahead of the write's. Decided again from a fresh read if the lead changed meanwhile.
   */
  private async commitGuarded(
    leadId: number,
    decide: (state: LeadState, now: number) => {
      result: LeadUpdateResult;
      write?: LeadWrite;
      before?: (guarded: (sql: string, ...binds: unknown[]) => D1PreparedStatement) => D1PreparedStatement[];
    },
  ): Promise<LeadUpdateResult> {
    for (let n = 1; ; n++) {
      const { lead, subscriptions, jobTypes } = await this.readLead(leadId);
      if (!lead) return { ok: false, code: "NOT_FOUND", message: `Lead ${leadId} not found.` };
      const { result, write, before } = decide({ lead, subscriptions, jobTypes }, Date.now());
      if (!write) return result;
      const db = this.env.DB;
      const guarded = (sql: string, ...binds: unknown[]) =>
        db.prepare(`${sql} EXISTS (SELECT 1 FROM leads l WHERE l.id = ?${binds.length + 1} AND ${unchangedSql("l", `?${binds.length + 2}`)})`)
          .bind(...binds, write.leadId, JSON.stringify(write.guard));
      const statements = [...(before?.(guarded) ?? []), ...leadWriteStatements(db, [write])];
      if (appliedLeadIds(await db.batch(statements)).has(leadId)) return result;
      if (n === MAX_DECISIONS) throw new Error(`lead ${leadId} changed under each of ${n} decisions`);
    }
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
    for (let n = 1; ; n++) {
      const result = await this.trySubscribe(req);
      if (result) return result;
      if (n === MAX_DECISIONS) throw new Error(`lead ${req.leadId} changed under each of ${n} subscriptions`);
    }
  }

  /** One read and one write; null when the lead changed in between (nothing written). */
  private async trySubscribe(req: SubscribeRequest): Promise<SubscribeResult | null> {
    const db = this.env.DB;
    const [leadRes, cpRes, existingRes, noteRes, activeRes] = await db.batch([
      db.prepare(`SELECT id, campaign_id, lead_hash, flag, deleted_ts, updated_ts FROM leads WHERE id = ?1`).bind(req.leadId),
      db.prepare(`SELECT campaign_id FROM campaign_publishers WHERE id = ?1`).bind(req.campaignPublisherId),
      db.prepare(
        `SELECT id FROM sync_subscriptions
          WHERE lead_id = ?1 AND campaign_publisher_id = ?2 AND callback_url = ?3 AND disabled_ts IS NULL`,
      ).bind(req.leadId, req.campaignPublisherId, req.callbackUrl),
      db.prepare(`SELECT reason FROM lead_notes WHERE lead_id = ?1 AND to_flag IS NOT NULL ORDER BY id DESC LIMIT 1`).bind(req.leadId),
      db.prepare(`SELECT count(*) AS n FROM sync_subscriptions WHERE lead_id = ?1 AND disabled_ts IS NULL`).bind(req.leadId),
    ]);
    const lead = leadRes!.results[0] as
      | { id: number; campaign_id: number; lead_hash: string; flag: Flag; deleted_ts: number | null; updated_ts: number }
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
      return { ok: true, subscriptionId: existing.id, leadHash: lead.lead_hash };
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
    // Every statement applies only while the lead is as read: a transition committed meanwhile
    // (by the Processr consumer, outside this object's lock) would otherwise leave the new
    // subscriber without its event, neither in the transition's callbacks nor in the current status.
    const asRead = (p: number) => `EXISTS (SELECT 1 FROM leads l WHERE l.id = ?1 AND l.updated_ts = ?${p} AND l.flag IS ?${p + 1} AND l.deleted_ts IS ?${p + 2})`;
    const read = [lead.updated_ts, lead.flag, lead.deleted_ts];
    const statements = [
      db.prepare(
        `INSERT INTO sync_subscriptions (lead_id, campaign_publisher_id, callback_url, secret, created_ts)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE ${asRead(6)} RETURNING id`,
      ).bind(lead.id, req.campaignPublisherId, req.callbackUrl, req.secret, now, ...read),
    ];
    // A subscriber placed after processing still learns the current status at once.
    const current = lead.flag !== null || deleted;
    if (current) {
      const type: LeadEventType = deleted ? "lead.deleted" : "lead.status_changed";
      const event = storedEventPayload({
        flag: deleted ? null : lead.flag,
        previousFlag: deleted ? lead.flag : null,
        reason: (noteRes!.results[0] as { reason: string | null } | undefined)?.reason ?? null,
      });
      statements.push(
        db.prepare(`INSERT INTO lead_events (lead_id, type, payload, created_ts) SELECT ?1, ?2, ?3, ?4 WHERE ${asRead(5)}`)
          .bind(lead.id, type, event, now, ...read),
        db.prepare(
          `INSERT INTO webhook_deliveries (id, event_id, subscription_id, lead_id, status, attempts, next_attempt_ts, created_ts)
           SELECT ?2, (SELECT max(id) FROM lead_events WHERE lead_id = ?1), (SELECT max(id) FROM sync_subscriptions WHERE lead_id = ?1),
                  ?1, 'pending', 0, ?3, ?3 WHERE ${asRead(4)}`,
        ).bind(lead.id, `msg_${crypto.randomUUID().replace(/-/g, "")}`, now, ...read),
      );
      await this.armSafetyAlarm();
    }
    const [inserted] = await db.batch(statements);
    const row = inserted!.results[0] as { id: number } | undefined;
    if (!row) return null;
    if (current) await this.scheduleAlarm(lead.id);
    return { ok: true, subscriptionId: row.id, leadHash: lead.lead_hash };
  }

  // ------------------------------------------------------------------ alarm and integrations

  /** Arms the alarm within SAFETY_ALARM_MS; answers the alarm it found. */
  private async armSafetyAlarm(): Promise<number | null> {
    this.alarmBeforeHandOff = undefined;
    this.lastArmedTs = Date.now();
    const at = this.lastArmedTs + SAFETY_ALARM_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
    return current;
  }

  /**
   * Arms the alarm for the earliest due callback (read from D1 unless the caller knows it),
   * integrations retry or undecided decision's safety time, or clears it.
   */
  private async scheduleAlarm(leadId: number, callbacksDue?: number | null) {
    this.alarmBeforeHandOff = undefined;
    await this.undecidedNow();
    const callbacks = callbacksDue !== undefined ? callbacksDue : await this.readCallbacksDue(leadId);
    const integrations = (await this.ctx.storage.get<number>(INTEGRATIONS_DUE)) ?? null;
    const due = [callbacks, integrations, this.undecided?.safetyTs ?? null].filter((t): t is number => t !== null);
    if (due.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Math.min(...due), Date.now()));
  }

  /**
   * The lead's earliest due callback; with an undecided decision, read in the same statement with
   * whether its lead is still as decided from, and let go of once it is not (committed: its
   * callbacks are in this read; or changed otherwise: its write can no longer apply).
   */
  private async readCallbacksDue(leadId: number): Promise<number | null> {
    const undecided = this.undecided;
    if (!undecided) return nextCallbackDueTs(this.env.DB, leadId);
    const row = await this.env.DB.prepare(
      `SELECT ${NEXT_CALLBACK_DUE_SQL} AS due, EXISTS (SELECT 1 FROM leads l WHERE l.id = ?1 AND ${unchangedSql("l", "?2")}) AS undecided`,
    ).bind(leadId, JSON.stringify(undecided.guard)).first<{ due: number | null; undecided: number }>();
    if (!row?.undecided) await this.forgetUndecided();
    return row?.due ?? null;
  }

  /** The undecided decision, read from storage after a restart; forgotten once past its safety time. */
  private async undecidedNow() {
    this.undecided ??= (await this.ctx.storage.get<{ guard: LeadGuard; safetyTs: number }>(UNDECIDED)) ?? null;
    if (this.undecided && this.undecided.safetyTs <= Date.now()) await this.forgetUndecided();
    return this.undecided;
  }

  private async forgetUndecided() {
    this.undecided = null;
    await this.ctx.storage.delete(UNDECIDED);
  }

  /**
   * Hands a lead that became Valid or changed flag to the integrations. The intent was stored before the commit
   * (INTEGRATIONS_DUE); if the queue is unavailable the alarm tries again. Integrations deliver at
   * most once per (lead, job), so a repeated hand-off is harmless.
   */
  private async handOffIntegrations(leadId: number) {
    try {
      // enqueueIntegrations re-reads the lead: only jobs whose trigger still holds are queued.
      await enqueueIntegrations(this.env, leadId, HANDOFF_EVENTS);
    } catch (e) {
      console.error("integrations hand-off failed; the lead object retries from its alarm", leadId, String(e));
      await this.ctx.storage.put(INTEGRATIONS_DUE, Date.now() + INTEGRATIONS_RETRY_MS);
      return this.exclusive(leadId, () => this.scheduleAlarm(leadId));
    }
    await this.exclusive(leadId, () => this.handOffDone(leadId));
  }

  private async handOffDone(leadId: number) {
    await this.ctx.storage.delete(INTEGRATIONS_DUE);
    const before = this.alarmBeforeHandOff;
    if (before === undefined) return this.scheduleAlarm(leadId);
    this.alarmBeforeHandOff = undefined;
    if (before === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(before);
  }
}
