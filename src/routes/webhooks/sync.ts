import { Hono } from "hono";
import { z } from "zod";
import { LEAD_FLAGS, type LeadFlag } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { readBodyText } from "../../http/body";
import { clientBaseUrl } from "../../integrations/convertr-client";
import { decideLead, handOffCommitted, transitionLead } from "../../leads/client";
import { readLeadStates } from "../../leads/lead-object";
import { appliedLeadIds, leadWriteStatements } from "../../leads/lead-writes";
import type { TransitionRequest, TransitionResult } from "../../leads/types";
import { type VerifyResult, webhookVerifier } from "../../webhooks/standard-webhooks";
import { archivedSyncDeliveries, archivedSyncTagsStatement, restoreForSyncEvent } from "../../archive/sync-tags";

// POST /api/webhook/sync: the receiver of sync-tag callbacks (Convertr's Connect help article, "Place Sync Tags"). A
// client enterprise calls it, signed the Standard Webhooks way with the secret we gave when we
// subscribed, whenever the status of a lead we delivered to it changes. Exactly the seed's four
// triggers: client Valid → Valid here; client Invalid, Caution or Deleted → Invalid here.
// A lead archived here still gets its callbacks: verified against its archived delivery, then
// restored, then applied (src/archive/sync-tags.ts).

/** The signed body of a sync-tag callback: what this receiver accepts and what our lead objects send. */
export const leadEventSchema = z.object({
  type: z.enum(["lead.status_changed", "lead.deleted"]),
  eventId: z.number().int().positive(),
  leadId: z.number().int().positive(),
  leadHash: z.string().max(64),
  flag: z.enum(LEAD_FLAGS).nullable(),
  previousFlag: z.enum(LEAD_FLAGS).nullable(),
  reason: z.string().max(2000).nullable(),
  occurredTs: z.string().max(40),
});
type Payload = z.infer<typeof leadEventSchema>;

export const syncAnswerSchema = z.object({ code: z.literal(200), message: z.string(), changed: z.boolean() });

export interface Candidate {
  id: number;
  remote_lead_id: string;
  lead_id: number;
  sync_secret: string;
  last_sync_event_id: number | null;
  config: string;
  /** Set when the job's sync tags were removed ("Place Sync Tags" undone). */
  tags_removed_ts: number | null;
  /** The lead is archived here: read from its file, restored before an event applies. */
  archived?: true;
}

/** The local flag a client event maps to, or null for events the seed defines no trigger for (Test). */
export function mapClientStatus(p: Pick<Payload, "type" | "flag">): "Valid" | "Invalid" | null {
  if (p.type === "lead.deleted") return "Invalid";
  const map: Partial<Record<LeadFlag, "Valid" | "Invalid">> = { Valid: "Valid", Invalid: "Invalid", Caution: "Invalid" };
  return p.flag ? map[p.flag] ?? null : null;
}

const ok = (message: string, changed: boolean): z.output<typeof syncAnswerSchema> => ({ code: 200, message, changed });

/** Events per batched callback, at most (the sender's bound, src/leads/sync-callbacks.ts). */
export const MAX_BATCH_EVENTS = 50;

/**
 * A batched callback: several lead events to this receiver in one request, signed the Standard
 * Webhooks way once per subscription secret (the signature header lists them all); each event
 * carries its own delivery id, which is what a single callback of it would carry as webhook-id.
 */
export const leadEventBatchSchema = z.object({
  type: z.literal("lead.events"),
  events: z
    .array(leadEventSchema.extend({ webhookId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) }))
    .min(1)
    .max(MAX_BATCH_EVENTS),
});
type BatchItem = z.infer<typeof leadEventBatchSchema>["events"][number];

/** Each event's own answer: the status and message a single callback of it would have had. */
export const syncBatchAnswerSchema = z.object({
  code: z.literal(200),
  message: z.string(),
  results: z.array(z.object({ webhookId: z.string(), status: z.number().int(), message: z.string(), changed: z.boolean() })),
});
type ItemResult = z.output<typeof syncBatchAnswerSchema>["results"][number];

const CANDIDATES_SQL = `SELECT d.id, d.lead_id, d.remote_lead_id, d.sync_secret, d.last_sync_event_id, j.config, s.removed_ts AS tags_removed_ts
       FROM integration_deliveries d JOIN campaign_processr_jobs j ON j.id = d.campaign_processr_job_id
       LEFT JOIN sync_tag_states s ON s.campaign_processr_job_id = d.campaign_processr_job_id
      WHERE d.remote_lead_id IN (SELECT value FROM json_each(?)) AND d.sync_secret IS NOT NULL`;

/** The tagged deliveries of these remote lead ids, in D1 and of leads archived here, in one read. */
async function candidatesOf(env: AppEnv["Bindings"], remoteIds: readonly string[]): Promise<Candidate[]> {
  const ids = JSON.stringify(remoteIds);
  const [hot, archived] = await env.DB.batch([env.DB.prepare(CANDIDATES_SQL).bind(ids), archivedSyncTagsStatement(env.DB, ids)]);
  const tags = archived!.results as { remote_lead_id: string; lead_id: number }[];
  return [...(hot!.results as Candidate[]), ...(tags.length > 0 ? await archivedSyncDeliveries(env, tags) : [])];
}

type VerifyFailure = "missing_headers" | "stale_timestamp" | "bad_signature";

/** Remote lead ids are unique per client only: the secret that verifies tells which delivery it is. */
async function verifiedDelivery(
  candidates: Candidate[],
  verify: (secret: string) => Promise<VerifyResult>,
): Promise<{ delivery: Candidate } | { failure: VerifyFailure }> {
  let failure: VerifyFailure = "bad_signature";
  for (const cand of candidates) {
    const v = await verify(cand.sync_secret);
    if (v.ok) return { delivery: cand };
    failure = v.reason;
  }
  return { failure };
}

function verifyError(failure: VerifyFailure): ApiError {
  if (failure === "missing_headers") return new ApiError("BAD_REQUEST", "webhook-id, webhook-timestamp and webhook-signature are required.");
  if (failure === "stale_timestamp") return new ApiError("BAD_REQUEST", "webhook-timestamp is more than 5 minutes away from now.");
  return new ApiError("UNAUTHORIZED", "Invalid webhook signature.");
}

type Answer = z.output<typeof syncAnswerSchema>;

/** A verified, first-seen event of a delivery: its answer if it changes nothing, else the transition it asks for. */
function eventStep(delivery: Candidate, payload: Payload, lastEventId: number | null): { answer: Answer } | { request: TransitionRequest } {
  if (lastEventId !== null && payload.eventId <= lastEventId) {
    return { answer: ok("An event at least as recent was already applied; nothing changed.", false) };
  }
  const to = mapClientStatus(payload);
  if (!to) return { answer: ok(`Client status ${payload.flag ?? "none"} has no sync trigger; nothing changed.`, false) };
  const target = JSON.parse(delivery.config) as { subdomain?: string; enterpriseUrl?: string };
  const clientUrl = target.subdomain || target.enterpriseUrl ? clientBaseUrl(target) : "unknown";
  const clientStatus = payload.type === "lead.deleted" ? "Deleted" : payload.flag!;
  const reason = payload.reason ?? `${clientStatus} at the client`;
  return {
    request: {
      leadId: delivery.lead_id,
      to,
      source: "sync",
      author: `sync:${clientUrl}`,
      reason: clientStatus === to ? reason : `${reason} (client status: ${clientStatus})`,
    },
  };
}

function transitionAnswer(to: TransitionRequest["to"], result: TransitionResult): Answer {
  const changed = result.ok && result.changed;
  return ok(result.ok ? (changed ? `Lead marked ${to}.` : `Lead already ${to}; nothing changed.`) : `${result.message}; nothing changed.`, changed);
}

/** Applies one verified, first-seen event of a delivery; `lastEventId` is the delivery's latest applied. */
async function applyEvent(env: AppEnv["Bindings"], delivery: Candidate, payload: Payload, lastEventId: number | null): Promise<Answer> {
  if (delivery.archived) lastEventId = await restoreForSyncEvent(env, delivery, lastEventId);
  const step = eventStep(delivery, payload, lastEventId);
  return "answer" in step ? step.answer : transitionAnswer(step.request.to, await transitionLead(env, step.request));
}

/**
 * What applied events record on their deliveries, in one statement however many: each delivery's
 * latest applied event id, and the client's lead hash if it had none (its first event's, in order).
 */
const recordEventsStatement = (db: D1Database, applied: readonly { delivery: Candidate; payload: Payload }[]) =>
  db.prepare(
    `UPDATE integration_deliveries SET
       last_sync_event_id = max(coalesce(last_sync_event_id, 0),
         (SELECT max(json_extract(value, '$[1]')) FROM json_each(?1) WHERE json_extract(value, '$[0]') = integration_deliveries.id)),
       remote_lead_hash = coalesce(remote_lead_hash,
         (SELECT json_extract(value, '$[2]') FROM json_each(?1) WHERE json_extract(value, '$[0]') = integration_deliveries.id ORDER BY key LIMIT 1))
     WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each(?1))`,
  ).bind(JSON.stringify(applied.map((a) => [a.delivery.id, a.payload.eventId, a.payload.leadHash])));

/** Receipts of webhook ids, accepted once each (insert-or-fail), in one statement: its rows are the ids new here. */
const receiptsStatement = (db: D1Database, receipts: readonly string[]) =>
  db.prepare("INSERT INTO webhook_receipts (id) SELECT value FROM json_each(?) WHERE true ON CONFLICT (id) DO NOTHING RETURNING id")
    .bind(JSON.stringify(receipts));

/** Gives receipts back (their events failed to apply; the sender sends them again). */
const forgetReceiptsStatement = (db: D1Database, receipts: readonly string[]) =>
  db.prepare("DELETE FROM webhook_receipts WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(receipts));

export const syncReceiver = new Hono<AppEnv>();

syncReceiver.post("/sync", async (c) => {
  const raw = await readBodyText(c);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ApiError("BAD_REQUEST", "The body is not a lead event.");
  }
  if (typeof body === "object" && body !== null && (body as { type?: unknown }).type === "lead.events") {
    const batch = leadEventBatchSchema.safeParse(body);
    if (!batch.success) throw new ApiError("BAD_REQUEST", "The body is not a batch of lead events.");
    return c.json(await receiveBatch(c.env, c.req.raw.headers, raw, batch.data.events));
  }
  const parsed = leadEventSchema.safeParse(body);
  if (!parsed.success) throw new ApiError("BAD_REQUEST", "The body is not a lead event.");
  const payload = parsed.data;

  const candidates = await candidatesOf(c.env, [String(payload.leadId)]);
  if (candidates.length === 0) throw new ApiError("NOT_FOUND", "No sync tag was placed for this lead.");
  const verified = await verifiedDelivery(candidates, webhookVerifier(c.req.raw.headers, raw));
  if ("failure" in verified) throw verifyError(verified.failure);
  const { delivery } = verified;
  // Removed tags: 410 Gone tells the client (Standard Webhooks) to drop the subscription.
  if (delivery.tags_removed_ts !== null) {
    return c.json({ code: 410, message: "The sync tags of this integration were removed." }, 410);
  }

  // A webhook id is accepted once (insert-or-fail); the receipt is given back if applying fails.
  const receipt = `sync:${delivery.id}:${c.req.header("webhook-id")}`;
  const fresh = await receiptsStatement(c.env.DB, [receipt]).first();
  if (!fresh) throw new ApiError("CONFLICT", "This webhook-id has already been received.");

  try {
    const answer = await applyEvent(c.env, delivery, payload, delivery.last_sync_event_id);
    await recordEventsStatement(c.env.DB, [{ delivery, payload }]).run();
    return c.json(answer);
  } catch (e) {
    await forgetReceiptsStatement(c.env.DB, [receipt]).run();
    throw e;
  }
});

/**
 * A batch: each event is checked, deduplicated and applied as a single callback of it would be
 * (its receipt keyed by its own delivery id), with D1 round trips shared: one read of the
 * deliveries, one statement of receipts, one read of the leads' states and one write of their first
 * transitions (applyFirstTransitions), one statement recording what was applied. Events of one lead
 * are applied in order; after one fails, its later ones are not applied (the sender retries them).
 */
async function receiveBatch(env: AppEnv["Bindings"], headers: Headers, raw: string, items: BatchItem[]) {
  const db = env.DB;
  const candidates = await candidatesOf(env, [...new Set(items.map((i) => String(i.leadId)))]);
  const verifier = webhookVerifier(headers, raw);
  const verifications = new Map<string, Promise<VerifyResult>>();
  const verify = (secret: string) => {
    if (!verifications.has(secret)) verifications.set(secret, verifier(secret));
    return verifications.get(secret)!;
  };
  const results: ItemResult[] = items.map((i) => ({ webhookId: i.webhookId, status: 0, message: "", changed: false }));
  const settle = (i: number, status: number, message: string, changed = false) => Object.assign(results[i]!, { status, message, changed });
  const accepted: { i: number; delivery: Candidate; receipt: string }[] = [];
  let failure: VerifyFailure | null = null;
  for (const [i, item] of items.entries()) {
    const own = candidates.filter((cand) => cand.remote_lead_id === String(item.leadId));
    if (own.length === 0) {
      settle(i, 404, "No sync tag was placed for this lead.");
      continue;
    }
    const verified = await verifiedDelivery(own, verify);
    if ("failure" in verified) {
      failure ??= verified.failure;
      const e = verifyError(verified.failure);
      settle(i, e.status, e.message);
    } else if (verified.delivery.tags_removed_ts !== null) {
      settle(i, 410, "The sync tags of this integration were removed.");
    } else {
      accepted.push({ i, delivery: verified.delivery, receipt: `sync:${verified.delivery.id}:${item.webhookId}` });
    }
  }
  // Nothing in the batch verifies: the request itself is refused, as a single callback would be.
  if (failure && accepted.length === 0 && results.every((r) => r.status !== 410)) throw verifyError(failure);

  // Each receipt is new once: a webhook id received before, or twice in this batch, is a repeat.
  const fresh = new Set(accepted.length ? (await receiptsStatement(db, accepted.map((a) => a.receipt)).all<{ id: string }>()).results.map((r) => r.id) : []);
  const byDelivery = new Map<number, typeof accepted>();
  for (const a of accepted) {
    if (!fresh.delete(a.receipt)) settle(a.i, 409, "This webhook-id has already been received.");
    else byDelivery.set(a.delivery.id, [...(byDelivery.get(a.delivery.id) ?? []), a]);
  }
  const records: { delivery: Candidate; payload: Payload }[] = [];
  const givenBack: string[] = [];
  const groups: Group[] = [...byDelivery.values()].map((entries) => ({ entries, last: entries[0]!.delivery.last_sync_event_id, next: 0 }));
  const answered = (g: Group, answer: Answer) => {
    const a = g.entries[g.next]!;
    settle(a.i, 200, answer.message, answer.changed);
    records.push({ delivery: a.delivery, payload: items[a.i]! });
    g.last = Math.max(g.last ?? 0, items[a.i]!.eventId);
    g.next += 1;
  };
  const failed = (g: Group, e: unknown) => {
    const a = g.entries[g.next]!;
    console.error("sync batch: applying an event failed", a.receipt, e instanceof Error ? e.message : String(e));
    settle(a.i, 500, "Applying the event failed; send it again.");
    for (const later of g.entries.slice(g.next + 1)) settle(later.i, 424, "An earlier event of this lead failed; send it again.");
    givenBack.push(...g.entries.slice(g.next).map((x) => x.receipt));
    g.next = g.entries.length;
  };
  await applyFirstTransitions(env, items, groups, answered, failed);
  // The rest one at a time per delivery, in order: later events of a lead, archived leads (restored
  // first), and transitions whose lead changed after the batch's read.
  await Promise.all(
    groups.map(async (g) => {
      while (g.next < g.entries.length) {
        const a = g.entries[g.next]!;
        try {
          answered(g, await applyEvent(env, a.delivery, items[a.i]!, g.last));
        } catch (e) {
          failed(g, e);
        }
      }
    }),
  );
  const writes = [...(records.length ? [recordEventsStatement(db, records)] : []), ...(givenBack.length ? [forgetReceiptsStatement(db, givenBack)] : [])];
  if (writes.length) await db.batch(writes);
  const applied = results.filter((r) => r.status === 200).length;
  return { code: 200 as const, message: `${applied} of ${items.length} event(s) applied.`, results } satisfies z.output<typeof syncBatchAnswerSchema>;
}

/** A delivery's accepted events of a batch, in order: the next to apply and its latest applied event id. */
interface Group {
  entries: { i: number; delivery: Candidate; receipt: string }[];
  last: number | null;
  next: number;
}

/**
 * The events of a batch that change nothing, up to each delivery's first that asks for a
 * transition; those transitions (one per lead) are decided by their lead objects from one read of
 * their states and committed in one D1 batch (src/leads/lead-writes.ts). A transition whose lead
 * changed since that read applied nothing and stays next in its group, for applyEvent.
 */
async function applyFirstTransitions(
  env: AppEnv["Bindings"],
  items: BatchItem[],
  groups: Group[],
  answered: (g: Group, answer: Answer) => void,
  failed: (g: Group, e: unknown) => void,
) {
  const firsts = new Map<number, { g: Group; request: TransitionRequest }>();
  for (const g of groups) {
    while (g.next < g.entries.length && !g.entries[g.next]!.delivery.archived) {
      const a = g.entries[g.next]!;
      const step = eventStep(a.delivery, items[a.i]!, g.last);
      if ("answer" in step) answered(g, step.answer);
      else {
        // One transition per lead here (two deliveries of one lead: the second waits for applyEvent).
        if (!firsts.has(step.request.leadId)) firsts.set(step.request.leadId, { g, request: step.request });
        break;
      }
    }
  }
  if (firsts.size === 0) return;
  const pending = [...firsts.values()];
  try {
    const states = await readLeadStates(env.DB, [...firsts.keys()]);
    const decided = await Promise.all(
      pending.map(async (p) => {
        const snapshot = states.get(p.request.leadId);
        try {
          return { ...p, decision: snapshot ? await decideLead(env, { ...p.request, snapshot }) : null };
        } catch (e) {
          failed(p.g, e);
          return null;
        }
      }),
    );
    const writes = decided.flatMap((d) => (d?.decision?.write ? [d.decision.write] : []));
    const done = appliedLeadIds(writes.length ? await env.DB.batch(leadWriteStatements(env.DB, writes)) : []);
    const handOffs: number[] = [];
    for (const d of decided) {
      // No snapshot (the lead is gone) or a write that found its lead changed: applyEvent decides again.
      if (!d?.decision || (d.decision.write && !done.has(d.request.leadId))) continue;
      if (d.decision.handOff) handOffs.push(d.request.leadId);
      answered(d.g, transitionAnswer(d.request.to, d.decision.result));
    }
    // Committed: the hand-offs together; what fails here the lead objects' alarms hand off.
    await handOffCommitted(env, handOffs);
  } catch (e) {
    for (const p of pending) if (p.g.next < p.g.entries.length) failed(p.g, e);
  }
}
