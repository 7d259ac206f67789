import { z } from "zod";
import type { Env } from "../env";
import type { IntegrationOutcome, JobLead } from "../processr/types";
import { newWebhookSecret } from "../webhooks/standard-webhooks";
import { leadFieldValue } from "./lead-values";
import { fetchOutbound, isTransientStatus, type OutboundResult, retryAfterMs } from "./outbound-fetch";
import { checkOutboundUrl, OutboundUrlError, redactUrl } from "./outbound-url";
import { logProviderCall, truncate } from "./provider-log";
import type { OutboundIntegrationJob } from "./types";

// Convertr Connect (seed 000): forwards a Valid lead into a client enterprise through the client's
// publisher API, as one of its publishers, then ("Place Sync Tags") subscribes to the status of
// the lead there so that the client's verdict comes back (src/routes/webhooks/sync.ts).

const id = z.number().int().positive();
// A client form field as the fields endpoint lists it ("form[lookup][postcode]") or as captured ("lookup[postcode]").
const FIELD_NAME = /^[A-Za-z0-9_.\-]+(\[[A-Za-z0-9_.\-]+\])*$/;

export const convertrConnectConfig = z.object({
  enterpriseUrl: z
    .string()
    .trim()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "Must be an http(s) URL.")
    .transform((u) => u.replace(/\/+$/, "")),
  apiKey: z.string().trim().min(8).max(255),
  publisherId: id,
  campaignId: id,
  formId: id,
  linkId: id.nullable().optional(),
  /** Client form field → local field. */
  mapping: z
    .record(z.string().regex(FIELD_NAME, "Not a form field name."), z.string().trim().min(1).max(255))
    .refine((m) => Object.keys(m).length > 0, "Map at least one field."),
  syncTags: z.boolean().default(true),
});

export type ConvertrConnectConfig = z.infer<typeof convertrConnectConfig>;

/** "lookup[postcode]" → "form[lookup][postcode]" (the publisher API's body names). */
export function formFieldName(clientField: string): string {
  if (clientField.startsWith("form[")) return clientField;
  const bracket = clientField.indexOf("[");
  return bracket < 0 ? `form[${clientField}]` : `form[${clientField.slice(0, bracket)}]${clientField.slice(bracket)}`;
}

/** The url-encoded body for the client's form; fields the lead has no value for are left out. */
export function connectPayload(lead: JobLead & { leadHash: string }, config: ConvertrConnectConfig): URLSearchParams {
  const body = new URLSearchParams();
  for (const [clientField, localField] of Object.entries(config.mapping)) {
    const value = leadFieldValue(lead, localField);
    if (value !== "") body.append(formFieldName(clientField), value);
  }
  return body;
}

/** A Convertr-style error body `{"code","message","errors"}` as one line, else the raw body. */
export function clientMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; error?: unknown; error_description?: unknown; errors?: unknown };
    const msg = j.message ?? j.error_description ?? j.error;
    if (typeof msg === "string") return truncate(j.errors ? `${msg}: ${JSON.stringify(j.errors)}` : msg, 500);
  } catch {
    // not JSON: fall through to the raw text
  }
  return truncate(body.trim(), 300) || "(empty body)";
}

/** Transient vs final, for any call to the client. */
function failure(r: OutboundResult): IntegrationOutcome | null {
  if (!r.ok) return { status: "retry", message: r.message };
  if (isTransientStatus(r.status)) {
    return { status: "retry", message: `HTTP ${r.status}: ${clientMessage(r.body)}`, retryAfterMs: retryAfterMs(r.headers) ?? undefined };
  }
  if (r.status < 200 || r.status >= 300) return { status: "rejected", message: `HTTP ${r.status}: ${clientMessage(r.body)}` };
  return null;
}

function readCreated(body: string): { remoteLeadId: string; remoteLeadHash: string | null } | null {
  try {
    const j = JSON.parse(body) as { data?: unknown; leadHash?: unknown };
    const data = j.data as unknown;
    const idValue = typeof data === "object" && data !== null ? (data as { id?: unknown }).id : data;
    const hash = typeof data === "object" && data !== null ? (data as { leadHash?: unknown }).leadHash : j.leadHash;
    if ((typeof idValue === "number" && Number.isInteger(idValue)) || (typeof idValue === "string" && /^\d+$/.test(idValue))) {
      return { remoteLeadId: String(idValue), remoteLeadHash: typeof hash === "string" ? hash : null };
    }
  } catch {
    // handled by the caller
  }
  return null;
}

/** The subscription secret of this delivery: created once, reused by every retry. */
async function syncSecret(env: Pick<Env, "DB">, leadId: number, jobId: number): Promise<string> {
  await env.DB.prepare(
    "UPDATE integration_deliveries SET sync_secret = ? WHERE lead_id = ? AND campaign_processr_job_id = ? AND sync_secret IS NULL",
  )
    .bind(newWebhookSecret(), leadId, jobId)
    .run();
  const row = await env.DB.prepare(
    "SELECT sync_secret FROM integration_deliveries WHERE lead_id = ? AND campaign_processr_job_id = ?",
  )
    .bind(leadId, jobId)
    .first<{ sync_secret: string | null }>();
  if (!row?.sync_secret) throw new Error(`no integration delivery row for lead ${leadId}, job ${jobId}`);
  return row.sync_secret;
}

export const convertrConnect: OutboundIntegrationJob<ConvertrConnectConfig> = {
  kind: "integration",
  type: "convertr_connect",
  catalogueId: null,
  name: "Convertr Connect",
  configSchema: convertrConnectConfig as unknown as z.ZodType<ConvertrConnectConfig>,
  destination: (config) => config.enterpriseUrl,
  // The lead POST, then the sync-tag subscription on the same host.
  requestsPerDelivery: (config) => (config.syncTags ? 2 : 1),
  isActive: () => true,

  async deliver(lead, config, { env, jobId, idempotencyKey }) {
    const log = (label: string, url: URL, requestBody: string, result: OutboundResult, outcome: IntegrationOutcome) =>
      logProviderCall(env, {
        leadId: lead.id, campaignId: lead.campaignId, jobId, label, method: "POST", url: redactUrl(url),
        requestBody, result, outcome: outcome.status, message: outcome.message,
      });

    let leadUrl: URL;
    let subscribeUrl: URL;
    try {
      const path = `/api/v2.4/publisher/${config.publisherId}/forms/${config.formId}/campaign/${config.campaignId}/leads`;
      leadUrl = checkOutboundUrl(env, config.enterpriseUrl + path);
      if (config.linkId) leadUrl.searchParams.set("linkId", String(config.linkId));
      subscribeUrl = checkOutboundUrl(env, `${config.enterpriseUrl}/api/sync/subscriptions`);
    } catch (e) {
      if (e instanceof OutboundUrlError) return { status: "rejected", message: e.message };
      throw e;
    }

    // 1. The lead. The Idempotency-Key makes a repeat (after a lost response) return the first answer.
    const body = connectPayload(lead, config).toString();
    const posted = await fetchOutbound(leadUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        "X-Api-Key": config.apiKey,
        "Idempotency-Key": idempotencyKey,
      },
      body,
    });
    const created = posted.ok && posted.status >= 200 && posted.status < 300 ? readCreated(posted.body) : null;
    const leadOutcome: IntegrationOutcome =
      failure(posted) ??
      (created
        ? { status: "delivered", message: `Client lead ${created.remoteLeadId} created`, remoteLeadId: created.remoteLeadId }
        : { status: "rejected", message: `The client answered ${posted.ok ? posted.status : "?"} without a lead id: ${clientMessage(posted.ok ? posted.body : "")}` });
    await log("Convertr Connect lead", leadUrl, body, posted, leadOutcome);
    if (leadOutcome.status !== "delivered" || !created) return leadOutcome;

    // Stored before subscribing: the client may call back with the current status at once.
    await env.DB.prepare(
      `UPDATE integration_deliveries SET remote_lead_id = ?, remote_lead_hash = coalesce(?, remote_lead_hash)
       WHERE lead_id = ? AND campaign_processr_job_id = ?`,
    )
      .bind(created.remoteLeadId, created.remoteLeadHash, lead.id, jobId)
      .run();
    const delivered = { ...leadOutcome, remoteLeadHash: created.remoteLeadHash ?? undefined };
    if (!config.syncTags) return delivered;

    // 2. Sync tags: a subscription on the client, signed callbacks to our /api/webhook/sync.
    const secret = await syncSecret(env, lead.id, jobId);
    const subBody = JSON.stringify({
      leadId: Number(created.remoteLeadId),
      callbackUrl: `${env.BASE_URL.replace(/\/+$/, "")}/api/webhook/sync`,
      secret,
    });
    const sub = await fetchOutbound(subscribeUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-Api-Key": config.apiKey },
      body: subBody,
    });
    const subFailure = failure(sub);
    const subOutcome: IntegrationOutcome = subFailure ?? { status: "delivered", message: "Sync tags placed" };
    await log("Convertr Connect sync tags", subscribeUrl, subBody.replace(secret, "whsec_***"), sub, subOutcome);
    // Retrying is safe: the lead call above is idempotent and the client keeps one subscription per callback.
    if (subFailure?.status === "retry") return subFailure;
    if (subFailure) return { ...delivered, message: `${delivered.message}; sync tags not placed: ${subFailure.message}` };
    const subHash = sub.ok ? readSubscriptionHash(sub.body) : null;
    return { ...delivered, remoteLeadHash: subHash ?? delivered.remoteLeadHash, message: `${delivered.message}; sync tags placed` };
  },
};

function readSubscriptionHash(body: string): string | null {
  try {
    const h = (JSON.parse(body) as { leadHash?: unknown }).leadHash;
    return typeof h === "string" ? h : null;
  } catch {
    return null;
  }
}
