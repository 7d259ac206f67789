import { Hono } from "hono";
import { z } from "zod";
import { LEAD_FLAGS, type LeadFlag } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { readBodyText } from "../../http/body";
import { clientBaseUrl } from "../../integrations/convertr-client";
import { transitionLead } from "../../leads/client";
import { verifyWebhook } from "../../webhooks/standard-webhooks";

// POST /api/webhook/sync: the receiver of sync-tag callbacks (Convertr's Connect help article, "Place Sync Tags"). A
// client enterprise calls it, signed the Standard Webhooks way with the secret we gave when we
// subscribed, whenever the status of a lead we delivered to it changes. Exactly the seed's four
// triggers: client Valid → Valid here; client Invalid, Caution or Deleted → Invalid here.

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

interface Candidate {
  id: number;
  lead_id: number;
  sync_secret: string;
  last_sync_event_id: number | null;
  config: string;
  /** Set when the job's sync tags were removed ("Place Sync Tags" undone). */
  tags_removed_ts: number | null;
}

/** The local flag a client event maps to, or null for events the seed defines no trigger for (Test). */
export function mapClientStatus(p: Pick<Payload, "type" | "flag">): "Valid" | "Invalid" | null {
  if (p.type === "lead.deleted") return "Invalid";
  const map: Partial<Record<LeadFlag, "Valid" | "Invalid">> = { Valid: "Valid", Invalid: "Invalid", Caution: "Invalid" };
  return p.flag ? map[p.flag] ?? null : null;
}

const ok = (message: string, changed: boolean): z.output<typeof syncAnswerSchema> => ({ code: 200, message, changed });

export const syncReceiver = new Hono<AppEnv>();

syncReceiver.post("/sync", async (c) => {
  const raw = await readBodyText(c);
  let payload: Payload;
  try {
    const parsed = leadEventSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error();
    payload = parsed.data;
  } catch {
    throw new ApiError("BAD_REQUEST", "The body is not a lead event.");
  }

  // Remote lead ids are unique per client only: the secret that verifies tells which delivery it is.
  const { results: candidates } = await c.env.DB.prepare(
    `SELECT d.id, d.lead_id, d.sync_secret, d.last_sync_event_id, j.config, s.removed_ts AS tags_removed_ts
       FROM integration_deliveries d JOIN campaign_processr_jobs j ON j.id = d.campaign_processr_job_id
       LEFT JOIN sync_tag_states s ON s.campaign_processr_job_id = d.campaign_processr_job_id
      WHERE d.remote_lead_id = ? AND d.sync_secret IS NOT NULL`,
  )
    .bind(String(payload.leadId))
    .all<Candidate>();
  if (candidates.length === 0) throw new ApiError("NOT_FOUND", "No sync tag was placed for this lead.");
  let delivery: Candidate | undefined;
  let failure: "missing_headers" | "stale_timestamp" | "bad_signature" = "bad_signature";
  for (const cand of candidates) {
    const v = await verifyWebhook(cand.sync_secret, c.req.raw.headers, raw);
    if (v.ok) {
      delivery = cand;
      break;
    }
    failure = v.reason;
  }
  if (!delivery) {
    if (failure === "missing_headers") throw new ApiError("BAD_REQUEST", "webhook-id, webhook-timestamp and webhook-signature are required.");
    if (failure === "stale_timestamp") throw new ApiError("BAD_REQUEST", "webhook-timestamp is more than 5 minutes away from now.");
    throw new ApiError("UNAUTHORIZED", "Invalid webhook signature.");
  }
  // Removed tags: 410 Gone tells the client (Standard Webhooks) to drop the subscription.
  if (delivery.tags_removed_ts !== null) {
    return c.json({ code: 410, message: "The sync tags of this integration were removed." }, 410);
  }

  // A webhook id is accepted once (insert-or-fail); the receipt is given back if applying fails.
  const receipt = `sync:${delivery.id}:${c.req.header("webhook-id")}`;
  const fresh = await c.env.DB.prepare("INSERT INTO webhook_receipts (id) VALUES (?) ON CONFLICT (id) DO NOTHING RETURNING id")
    .bind(receipt)
    .first();
  if (!fresh) throw new ApiError("CONFLICT", "This webhook-id has already been received.");

  try {
    if (delivery.last_sync_event_id !== null && payload.eventId <= delivery.last_sync_event_id) {
      return c.json(ok("An event at least as recent was already applied; nothing changed.", false));
    }
    const to = mapClientStatus(payload);
    let changed = false;
    let message = `Client status ${payload.flag ?? "none"} has no sync trigger; nothing changed.`;
    if (to) {
      const target = JSON.parse(delivery.config) as { subdomain?: string; enterpriseUrl?: string };
      const clientUrl = target.subdomain || target.enterpriseUrl ? clientBaseUrl(target) : "unknown";
      const clientStatus = payload.type === "lead.deleted" ? "Deleted" : payload.flag!;
      const reason = payload.reason ?? `${clientStatus} at the client`;
      const result = await transitionLead(c.env, {
        leadId: delivery.lead_id,
        to,
        source: "sync",
        author: `sync:${clientUrl}`,
        reason: clientStatus === to ? reason : `${reason} (client status: ${clientStatus})`,
      });
      changed = result.ok && result.changed;
      message = result.ok ? (changed ? `Lead marked ${to}.` : `Lead already ${to}; nothing changed.`) : `${result.message}; nothing changed.`;
    }
    await c.env.DB.prepare(
      "UPDATE integration_deliveries SET last_sync_event_id = max(coalesce(last_sync_event_id, 0), ?), remote_lead_hash = coalesce(remote_lead_hash, ?) WHERE id = ?",
    )
      .bind(payload.eventId, payload.leadHash, delivery.id)
      .run();
    return c.json(ok(message, changed));
  } catch (e) {
    await c.env.DB.prepare("DELETE FROM webhook_receipts WHERE id = ?").bind(receipt).run();
    throw e;
  }
});
