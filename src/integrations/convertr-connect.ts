import { z } from "zod";
import type { Env } from "../env";
import type { Violation } from "../errors";
import type { IntegrationOutcome, JobLead } from "../processr/types";
import {
  answerOutcome,
  authorizedFetch,
  callLog,
  type ClientCredentials,
  campaignFormsAndLinks,
  clientBaseUrl,
  clientExtensions,
  clientMessage,
  knownExtensions,
  clientUrl,
  failureOutcome,
  SYNC_WITH_LEAD,
} from "./convertr-client";
import { hostBusyMessage } from "./host-limiter";
import { leadFieldValue } from "./lead-values";
import { isSafeHeaderValue } from "./outbound-fetch";
import { placeSyncTag, syncCallbackUrl, syncTagSecret } from "./sync-tags";
import type { OutboundIntegrationJob } from "./types";

// Convertr Connect (Convertr's Connect help article): forwards a Valid lead into a client's Convertr-compatible instance
// exactly as one of its publishers would: a token from the API-key grant, then the documented
// publisher API's lead POST (src/integrations/convertr-client.ts). When the client advertises
// leadflare's sync extension, "Place Sync Tags" subscribes to the lead's status there so that the
// client's verdict comes back (src/routes/webhooks/sync.ts); a Convertr instance without it still
// gets the lead, and the delivery says that sync tags are not available there.
// A client that also advertises syncWithLead (leadflare) takes the subscription with the lead POST,
// in headers: one request instead of two. Any other client gets the documented two calls, and so
// does a leadflare client whose answer does not say the subscription was made.

const id = z.number().int().positive();
// A client form field as the fields endpoint lists it ("form[lookup][postcode]") or as captured ("lookup[postcode]").
const FIELD_NAME = /^[A-Za-z0-9_.\-]+(\[[A-Za-z0-9_.\-]+\])*$/;
const text = (max: number) => z.string().trim().min(1).max(max).refine(isSafeHeaderValue, "Must not contain line breaks or control characters.");

/** Exactly one of subdomain and enterpriseUrl names the client instance. */
function oneInstance(c: { subdomain?: string; enterpriseUrl?: string }, ctx: z.RefinementCtx) {
  if ((c.subdomain === undefined) === (c.enterpriseUrl === undefined)) {
    ctx.addIssue({ code: "custom", path: ["subdomain"], message: "Give the client's subdomain, or for a self-hosted instance its enterpriseUrl (one of the two)." });
  }
}

// Where the client is and who we are there: what the credential check needs.
const target = z.object({
  /** A hosted client: https://{subdomain}.cvtr.io. */
  subdomain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "A subdomain is letters, digits and inner hyphens (the {subdomain} of {subdomain}.cvtr.io).")
    .optional(),
  /** A self-hosted or leadflare client: its base URL. */
  enterpriseUrl: z
    .string()
    .trim()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "Must be an http(s) URL.")
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  /** The client instance's OAuth client (its login response, or leadflare's /api/v4/oauth-clients). */
  clientId: text(255),
  clientSecret: text(255),
  apiKey: text(255).pipe(z.string().min(8)),
  publisherId: id,
  campaignId: id,
});

export const convertrConnectTarget = target.superRefine(oneInstance);

export const convertrConnectConfig = target
  .extend({
    formId: id,
    linkId: id.nullable().optional(),
    /** Client form field → local field. */
    mapping: z
      .record(z.string().regex(FIELD_NAME, "Not a form field name."), z.string().trim().min(1).max(255))
      .refine((m) => Object.keys(m).length > 0, "Map at least one field."),
    syncTags: z.boolean().default(true),
  })
  .superRefine(oneInstance);

export type ConvertrConnectConfig = z.infer<typeof convertrConnectConfig>;

export const connectCredentials = (config: z.infer<typeof convertrConnectTarget>): ClientCredentials => ({
  baseUrl: clientBaseUrl(config),
  baseField: config.subdomain !== undefined ? "subdomain" : "enterpriseUrl",
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  apiKey: config.apiKey,
});

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

/** The subscription a leadflare client made with the lead (SYNC_WITH_LEAD's answer headers), or null. */
function readSubscribedWithLead(headers: Headers): { leadHash: string } | null {
  const id = headers.get(SYNC_WITH_LEAD.subscription);
  const leadHash = headers.get(SYNC_WITH_LEAD.leadHash);
  return id !== null && /^\d+$/.test(id) && leadHash ? { leadHash } : null;
}

/** The created lead of the documented 201 body `{"data": <leadId>, "message", "status": 201}`. */
function readCreated(body: string): { remoteLeadId: string; remoteLeadHash: string | null } | null {
  try {
    const j = JSON.parse(body) as { data?: unknown; leadHash?: unknown };
    const data = j.data;
    if ((typeof data === "number" && Number.isInteger(data)) || (typeof data === "string" && /^\d+$/.test(data))) {
      return { remoteLeadId: String(data), remoteLeadHash: typeof j.leadHash === "string" ? j.leadHash : null };
    }
  } catch {
    // handled by the caller
  }
  return null;
}

export const SYNC_TAGS_UNAVAILABLE = "sync tags are not available at this client (it does not advertise leadflare's sync extension)";

/**
 * Save-time check of a configuration against the client: the credentials work, the campaign is
 * covered, the form exists, every mapped client field is on that form, the link exists.
 * Violations name the configuration field to fix.
 */
export async function checkConnectConfig(env: Env, config: ConvertrConnectConfig, localFields: ReadonlySet<string>): Promise<Violation[]> {
  const found = await campaignFormsAndLinks(env, connectCredentials(config), config.campaignId);
  if (!found.ok) return [{ propertyPath: found.failure.field ?? "subdomain", message: found.failure.message }];
  const form = found.forms.find((f) => f.formId === config.formId);
  if (!form) {
    const ids = found.forms.map((f) => f.formId).join(", ") || "none";
    return [{ propertyPath: "formId", message: `Campaign ${config.campaignId} at the client has no form ${config.formId} (its forms: ${ids}).` }];
  }
  const out: Violation[] = [];
  const onForm = new Set(form.fields);
  for (const [clientField, localField] of Object.entries(config.mapping)) {
    if (!onForm.has(formFieldName(clientField))) {
      out.push({ propertyPath: `mapping.${clientField}`, message: `"${clientField}" is not a field of the client's form ${form.formId} ("${form.formName}").` });
    }
    if (!localFields.has(localField)) {
      out.push({ propertyPath: `mapping.${clientField}`, message: `"${localField}" is not a field of this campaign's forms nor a lead field.` });
    }
  }
  if (config.linkId && !found.links.some((l) => l.id === config.linkId)) {
    out.push({ propertyPath: "linkId", message: `Campaign ${config.campaignId} at the client has no link ${config.linkId}.` });
  }
  return out;
}

export const convertrConnect: OutboundIntegrationJob<ConvertrConnectConfig> = {
  kind: "integration",
  type: "convertr_connect",
  catalogueId: null,
  name: "Convertr Connect",
  configSchema: convertrConnectConfig as unknown as z.ZodType<ConvertrConnectConfig>,
  destination: (config) => clientBaseUrl(config),
  // The lead POST, and with sync tags the subscription on the same host, unless the client is known
  // (its cached extension document) to take it with the lead or to have no sync tags. Tokens and
  // the extension document are cached, so they rarely add a request.
  requestsPerDelivery: (config) => {
    const known = config.syncTags ? knownExtensions(connectCredentials(config)) : null;
    return config.syncTags && (!known || (known.syncSubscriptions && !known.syncWithLead)) ? 2 : 1;
  },
  // Whether the job places tags and the delivery's secret, asked with the claim (before the lead goes out).
  syncSecretWithClaim: (config) => config.syncTags,
  isActive: () => true,
  checkConfig: checkConnectConfig,

  async deliver(lead, config, { env, jobId, idempotencyKey, attempt, syncSecret, requests, moreRequests }) {
    const creds = connectCredentials(config);
    const { log, logStatement, outcomeLogStatement, failedCall } = callLog(env, lead, jobId);

    const path = `/api/v2.4/publisher/${config.publisherId}/forms/${config.formId}/campaign/${config.campaignId}/leads`;
    const leadUrl = clientUrl(env, creds, path);
    if (!(leadUrl instanceof URL)) return failureOutcome(leadUrl);
    if (config.linkId) leadUrl.searchParams.set("linkId", String(config.linkId));

    // Asked before the lead goes out (with the claim), so that a failure here never repeats a
    // delivered lead. The secret (null: the job places no tags) is kept on the delivery by the same statement.
    const secret = syncSecret !== undefined ? syncSecret : await syncTagSecret(env, lead.id, jobId, config.syncTags);
    const extensions = secret !== null ? await clientExtensions(env, creds) : null;
    if (extensions && !("syncSubscriptions" in extensions)) return failedCall(extensions);

    // 1. The lead, url-encoded as a publisher posts it. A leadflare client also honours the
    // Idempotency-Key, so that a repeat (after a lost response) returns the first answer, and takes
    // the sync subscription in headers when it advertises syncWithLead (never in the body: the
    // secret stays out of the provider log).
    const body = connectPayload(lead, config).toString();
    const withLead = secret !== null && extensions?.syncWithLead ? { [SYNC_WITH_LEAD.callback]: syncCallbackUrl(env), [SYNC_WITH_LEAD.secret]: secret } : null;
    const posted = await authorizedFetch(env, creds, leadUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json", "Idempotency-Key": idempotencyKey, ...withLead },
      body,
    });
    if (!posted.ok) return failedCall(posted.failure);
    const created = readCreated(posted.result.body);
    // Said with the delivery itself when the client cannot send its verdicts back.
    const noSync = extensions && !extensions.syncSubscriptions ? `; ${SYNC_TAGS_UNAVAILABLE}` : "";
    const leadOutcome: IntegrationOutcome =
      answerOutcome(posted.result) ??
      (created
        ? { status: "delivered", message: `Client lead ${created.remoteLeadId} created${noSync}`, remoteLeadId: created.remoteLeadId }
        : { status: "rejected", message: `The client answered ${posted.result.status} without a lead id: ${clientMessage(posted.result.body)}` });
    if (leadOutcome.status !== "delivered" || !created) {
      await log("Convertr Connect lead", leadUrl, body, posted.result, leadOutcome);
      return leadOutcome;
    }
    const subscribed = withLead ? readSubscribedWithLead(posted.result.headers) : null;
    const outcome = subscribed ? { ...leadOutcome, message: `${leadOutcome.message}; sync tags placed with the lead` } : leadOutcome;
    const remoteLeadHash = created.remoteLeadHash ?? subscribed?.leadHash ?? null;

    const logged = ["Convertr Connect lead", leadUrl, body, posted.result, outcome] as const;
    // The tag came with the lead: the call's log line is written with the outcome, in its batch,
    // whose delivery row update stores the client's lead id and hash and marks the tag (a round
    // trip saved; the subscription exists at the client already, so a batch of their own right now
    // would shorten the wait of an early callback by that round trip only; such a callback gets 404
    // and the client retries it).
    if (subscribed) {
      const remote = remoteLeadHash === null ? {} : { remoteLeadHash };
      return { ...outcome, ...remote, syncTagPlaced: true, writes: [outcomeLogStatement(attempt, ...logged)] };
    }
    // Else they are stored before subscribing (the client may call back with the current status at once).
    await env.DB.batch([
      logStatement(...logged),
      env.DB.prepare(
        `UPDATE integration_deliveries SET remote_lead_id = ?, remote_lead_hash = coalesce(?, remote_lead_hash)
         WHERE lead_id = ? AND campaign_processr_job_id = ?`,
      ).bind(created.remoteLeadId, remoteLeadHash, lead.id, jobId),
    ]);
    const subscribeUrl = extensions?.syncSubscriptions;
    if (!subscribeUrl) return leadOutcome;

    // 2. The sync tag (leadflare's extension, src/integrations/sync-tags.ts). Retrying is safe: a
    // client with the extension honours the lead's Idempotency-Key and keeps one subscription per
    // callback. The tag stores the client's lead hash on the delivery. A second request not counted
    // before the delivery started is counted now; over the host's rate, the delivery is retried.
    if (moreRequests && (requests ?? 1) < 2) {
      const room = await moreRequests(1);
      if (!room.ok) return { status: "retry", message: `${hostBusyMessage(new URL(creds.baseUrl).host, "rate")}; sync tags not placed yet`, retryAfterMs: room.retryAfterMs };
    }
    const tag = await placeSyncTag(env, creds, subscribeUrl, { leadId: lead.id, campaignId: lead.campaignId, jobId, remoteLeadId: created.remoteLeadId, secret: secret! });
    if (tag?.status === "retry") return tag;
    if (tag) return { ...leadOutcome, message: `${leadOutcome.message}; sync tags not placed: ${tag.message}` };
    return { ...leadOutcome, message: `${leadOutcome.message}; sync tags placed` };
  },
};
