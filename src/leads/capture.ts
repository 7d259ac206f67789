import { randomHex, sha256Hex } from "../auth/crypto";
import { rememberVerifiedKey } from "../auth/verified-keys";
import { type CampaignStatusReason, deriveCampaignStatus } from "../db/campaign-status";
import type { FieldType } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";
import type { CaptureBody } from "./capture-body";
import {
  cachedCaptureConfig, type CaptureConfig, captureConfigKey, fieldsSignatureSql,
  forgetCaptureConfig, rememberCaptureConfig,
} from "./capture-cache";
import { enqueueSoon } from "./capture-enqueue";
import { coreValues } from "./core-fields";
import { emailFieldName, normaliseEmail } from "./email";
import { leadDataBlock, NEXT_VALUE_ID_SQL } from "./lead-data-block";
import { type FormFieldDef, validateCapture } from "./capture-validate";

// Lead capture, shared by the publisher API and the campaign webhook. One D1 batch of reads
// (campaign + statistics, form fields, campaign publisher, link, API key, idempotency key), one
// D1 batch of writes (a transaction), then the Processr message. If the message cannot be sent the
// lead stays at processr_status 0 and the sweeper (src/processr/sweeper.ts) re-enqueues it.
//
// Happy path in one round trip: once a request shape has been captured, this isolate keeps what
// the read batch found (src/leads/capture-cache.ts) and the next capture of that shape sends only a
// guarded write batch, whose insert re-checks every fact the read batch would have checked. With an
// Idempotency-Key the batch also inserts the key's record; a key used before fails the whole batch
// (nothing is written), and the first answer is replayed as after the read batch. When the guard refuses, or anything else is off (a validation error,
// an unauthorised caller), capture runs the read batch as above, which explains the refusal in
// the documented order, or captures the lead when the refusal came from a stale entry. An API-key
// grant token's key, and the campaign webhook key's binding to a publisher, are checked by the same
// guard, not by a read of their own (CaptureInput.grantKey, CaptureInput.webhookKey).
//
// Caps are decided inside the write batch, so concurrent captures cannot all pass the same last
// place: the lead is inserted only while the campaign's billable plus still-processing leads are
// under leadsRequired (else 403 "Campaign is fulfilled"), and it is over allocation when its
// publisher's reserved places (campaign_publishers.reserved_leads) have reached the cap; a lead
// within the allocation reserves a place in the same batch. The lead object releases the place
// when the lead ends non-billable (src/leads/statistics.ts).

/** Where the lead id goes in a surface's 201 body template (a JSON string value). */
export const LEAD_ID_PLACEHOLDER = "__LEAD_ID__";
const PLACEHOLDER_JSON = JSON.stringify(LEAD_ID_PLACEHOLDER);

export interface CaptureInput {
  campaignId: number;
  formId: number;
  linkId: number | null;
  /** null: let the campaign decide (the webhook without publisherId: its only publisher). */
  publisherId: number | null;
  /** A campaign-publisher key (X-Api-Key), resolved in the read batch for the policy to check. */
  apiKey: string | null;
  /** Scope ("<publisherId>" or "webhook:<campaignId>") and client key of an Idempotency-Key header. */
  idempotency: { scope: string; key: string } | null;
  /** The parsed body, or the error parsing it raised (reported only once the caller is authorised). */
  body: CaptureBody | ApiError;
  ip: string | null;
  userAgent: string | null;
  /** The visitor's country code from Cloudflare (request.cf.country), or null. */
  country: string | null;
  /** JSON of the surface's 201 body, with LEAD_ID_PLACEHOLDER (as a string) where the id goes. */
  createdBody: string;
  /**
   * leadflare's sync extension: a sync subscription written with the lead, in its write batch, for
   * the campaign publisher the lead is captured for (the caller checked the callback URL, the secret
   * and that the credentials are that campaign publisher's). A replay creates none.
   */
  subscription?: { callbackUrl: string; secret: string } | null;
  /**
   * An API-key grant token's campaign publisher and the key this isolate found live for it before,
   * not yet confirmed by D1 for this request: the cached path's guarded write checks it in its
   * transaction, and every other path first awaits confirm() (which throws the token's 401 when the
   * key is no longer live), so a capture answers nothing else before the key is confirmed.
   */
  grantKey?: { campaignPublisherId: number; apiKey: string; confirm(): Promise<void> } | null;
  /**
   * A campaign webhook key and the publisher this isolate last found it bound to as a landing-page
   * key of the campaign (null: not one, so the campaign's key), which publisherId already follows;
   * not yet confirmed by D1 for this request: the cached path's guarded write checks that binding in
   * its transaction, and every other path first awaits confirm(), which looks the binding up afresh
   * and gives the publisherId to capture for.
   */
  webhookKey?: { key: string; boundPublisherId: number | null; confirm(): Promise<number | null> } | null;
}

export interface CaptureContext {
  campaign: { id: number; apiKey: string; status: string; reason: CampaignStatusReason } | null;
  /** Up to two campaign publishers (the requested one, or the first two when none was named). */
  campaignPublishers: { id: number; publisherId: number; cap: number | null; signed: boolean }[];
  /** The owner of input.apiKey, if the key exists. */
  apiKeyOwner: { campaignId: number; publisherId: number; apiKey: string } | null;
}

/** What differs between the capture surfaces: who may call, and how refusals read. */
export interface CapturePolicy {
  authorize(ctx: CaptureContext): void;
  /**
   * The key the request presented, when `ctx` shows it live, for the rate limiter to count the
   * request under (src/auth/verified-keys.ts); capture records it only once D1 has confirmed it.
   */
  liveKey?(ctx: CaptureContext): string | null;
  notFound(what: "campaign" | "form" | "publisher" | "link"): ApiError;
  /** No publisher named and the campaign has none or several. */
  publisherRequired(): ApiError;
  campaignUnavailable(reason: Exclude<CampaignStatusReason, null>): ApiError;
  contractUnsigned(): ApiError;
}

export interface CaptureResult {
  status: number;
  body: string;
  leadId: number;
  /** True when an Idempotency-Key replay returned the first response. */
  replayed: boolean;
  /** The subscription written with the lead (CaptureInput.subscription) and the lead's hash. */
  subscribed?: { subscriptionId: number; leadHash: string };
}

/** A lead the write batch created, with its subscription when one was asked for. */
interface Written {
  leadId: number;
  subscribed?: { subscriptionId: number; leadHash: string };
  /** Tells it from a CaptureResult (a replay), which always says. */
  replayed?: undefined;
}

const isResult = (w: Written | CaptureResult): w is CaptureResult => w.replayed !== undefined;

const USER_AGENT_MAX = 512;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new ApiError("BAD_REQUEST", "Idempotency-Key must be 1 to 255 visible ASCII characters.");
  }
  return header;
}

/** Errors found before the caller is known to be allowed in are reported only after that check. */
export async function deferred<T>(f: () => Promise<T> | T): Promise<T | ApiError> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
}

const idempotencyConflict = () =>
  new ApiError("UNPROCESSABLE", "Idempotency-Key has already been used with a different request.");

interface Reads {
  campaign: {
    id: number; start_ts: number; end_ts: number; paused: number; contract_signed: number;
    leads_required: number; uncapped: number; api_key: string;
    /** Places taken in the campaign's allocation: billable leads and leads still being processed. */
    reserved_leads: number;
  } | null;
  fields: { form_id: number; field_id: number | null; name: string | null; type: FieldType | null; required: number | null }[];
  fieldsSignature: string | null;
  publishers: { id: number; publisher_id: number; cap: number | null; signed: number }[];
  link: boolean;
  apiKeyOwner: { campaign_id: number; publisher_id: number; api_key: string } | null;
  idempotency: { request_hash: string; response_status: number; response_body: string; lead_id: number | null } | null;
}

async function read(env: Env, input: CaptureInput, idemKey: string | null): Promise<Reads> {
  const db = env.DB;
  const [campaign, fields, signature, publishers, link, owner, idem] = await db.batch([
    db.prepare(
      `SELECT c.id, c.start_ts, c.end_ts, c.paused, c.contract_signed, c.leads_required, c.uncapped, c.api_key,
              coalesce(s.billable_leads, 0) + coalesce(s.processing_leads, 0) AS reserved_leads
         FROM campaigns c LEFT JOIN campaign_statistics s ON s.campaign_id = c.id
        WHERE c.id = ?1 AND c.deleted_ts IS NULL`,
    ).bind(input.campaignId),
    db.prepare(
      `SELECT f.id AS form_id, ff.id AS field_id, ff.name, ff.type, ff.required
         FROM forms f LEFT JOIN form_fields ff ON ff.form_id = f.id
        WHERE f.id = ?1 AND f.campaign_id = ?2
        ORDER BY ff.position, ff.id`,
    ).bind(input.formId, input.campaignId),
    db.prepare(`SELECT ${fieldsSignatureSql("?1")} AS signature`).bind(input.formId),
    db.prepare(
      `SELECT cp.id, cp.publisher_id, cp.cap, cp.signed
         FROM campaign_publishers cp
        WHERE cp.campaign_id = ?1 AND (?2 IS NULL OR cp.publisher_id = ?2)
        ORDER BY cp.id LIMIT 2`,
    ).bind(input.campaignId, input.publisherId),
    db.prepare(`SELECT id FROM links WHERE id = ?1 AND campaign_id = ?2 AND enabled = 1`).bind(input.linkId, input.campaignId),
    db.prepare(
      `SELECT cp.campaign_id, cp.publisher_id, cp.api_key
         FROM campaign_publishers cp JOIN campaigns c ON c.id = cp.campaign_id
        WHERE cp.api_key = ?1 AND c.deleted_ts IS NULL`,
    ).bind(input.apiKey),
    db.prepare(`SELECT request_hash, response_status, response_body, lead_id FROM idempotency_keys WHERE key = ?1`).bind(idemKey),
  ]);
  return {
    campaign: (campaign!.results[0] as Reads["campaign"]) ?? null,
    fields: fields!.results as Reads["fields"],
    fieldsSignature: (signature!.results[0] as { signature: string | null }).signature,
    publishers: publishers!.results as Reads["publishers"],
    link: link!.results.length > 0,
    apiKeyOwner: (owner!.results[0] as Reads["apiKeyOwner"]) ?? null,
    idempotency: (idem!.results[0] as Reads["idempotency"]) ?? null,
  };
}

const idempotencyRecordKey = (idem: NonNullable<CaptureInput["idempotency"]>) => `${idem.scope}:${idem.key}`;

function requestHash(input: CaptureInput, body: CaptureBody): Promise<string> {
  return sha256Hex(
    JSON.stringify([input.campaignId, input.formId, input.linkId, input.publisherId, [...body.fields], body.foreign]),
  );
}

export async function captureLead(
  env: Env,
  input: CaptureInput,
  policy: CapturePolicy,
  waitUntil?: (p: Promise<unknown>) => void,
): Promise<CaptureResult> {
  const now = Date.now();
  const configKey = captureConfigKey(input);
  // Captures of a shape not cached yet each read it (none waits for another request's read: if
  // that request were cancelled, its promise would never settle and the waiters would hang).
  const fast = await captureFromConfig(env, input, policy, configKey, now);
  // The guard held whenever the cached path answers (a replay's batch failed only after its insert
  // passed the guard); otherwise the grant key and the webhook key's binding are checked before
  // anything else answers.
  let checked = input;
  if (fast === null) {
    if (input.grantKey) await input.grantKey.confirm();
    if (input.webhookKey) checked = { ...input, publisherId: await input.webhookKey.confirm(), webhookKey: null };
  }
  const outcome = fast ?? (await captureWithReads(env, checked, policy, checked === input ? configKey : captureConfigKey(checked), now));
  if (isResult(outcome)) return outcome;
  const { leadId, subscribed } = outcome;

  // With waitUntil, the message leaves with other captures' (src/leads/capture-enqueue.ts).
  const enqueued = waitUntil ? enqueueSoon(env.PROCESSR_QUEUE, leadId) : sendNow(env, leadId);
  if (waitUntil) waitUntil(enqueued);
  else await enqueued;
  return {
    status: 201,
    body: input.createdBody.replace(PLACEHOLDER_JSON, String(leadId)),
    leadId,
    replayed: false,
    ...(subscribed ? { subscribed } : {}),
  };
}

/**
 * The one-round-trip path: the cached read of this request shape, authorised and validated here,
 * and a write batch guarded by every fact of it. Null when the path does not apply or the guard
 * refused (the caller then runs the read batch, which explains or, with fresh data, captures).
 */
async function captureFromConfig(
  env: Env, input: CaptureInput, policy: CapturePolicy, configKey: string, now: number,
): Promise<Written | CaptureResult | null> {
  if (input.body instanceof ApiError) return null;
  const config = cachedCaptureConfig(configKey, now);
  if (config === null || (input.apiKey !== null && config.ctx.apiKeyOwner === null)) return null;
  let values: [string, string][];
  try {
    policy.authorize(config.ctx);
    values = validateCapture(config.formFields, input.body);
  } catch (e) {
    if (e instanceof ApiError) return null;
    throw e;
  }
  // With an Idempotency-Key the batch also inserts its record: a key already used fails the whole
  // batch, which writeLead answers as the read path would (the first answer, or 422 for another request).
  const idem = input.idempotency && { key: idempotencyRecordKey(input.idempotency), hash: await requestHash(input, input.body) };
  const written = await writeLead(env, input, config, values, now, idem, guardBinds(input, config));
  if (written === null) {
    forgetCaptureConfig(configKey);
    return null;
  }
  if (isResult(written)) return written;
  // The guard found the key's owner as kept, in the same transaction: the key is live.
  rememberLiveKey(policy, config.ctx);
  return written;
}

/**
 * SQL (bindings from ?21 to ?30; ?18 is now, ?20 the block) that holds only while every cached fact still does: what
 * the read batch and the checks after it would find for this request.
 */
const GUARD_SQL = `EXISTS (SELECT 1 FROM campaigns c
                   WHERE c.id = ?1 AND c.deleted_ts IS NULL AND c.api_key = ?21 AND c.contract_signed = 1
                     AND c.paused = 0 AND c.start_ts <= ?18 AND c.end_ts >= ?18)
          AND EXISTS (SELECT 1 FROM forms WHERE id = ?3 AND campaign_id = ?1)
          AND ${fieldsSignatureSql("?3")} IS ?22
          AND EXISTS (SELECT 1 FROM campaign_publishers cp
                       WHERE cp.id = ?6 AND cp.campaign_id = ?1 AND cp.publisher_id = ?2 AND cp.signed = 1)
          AND (?23 IS NOT NULL OR (SELECT count(*) FROM campaign_publishers WHERE campaign_id = ?1) = 1)
          AND (?4 IS NULL OR EXISTS (SELECT 1 FROM links WHERE id = ?4 AND campaign_id = ?1 AND enabled = 1))
          AND (?24 IS NULL OR EXISTS (SELECT 1 FROM campaign_publishers k JOIN campaigns kc ON kc.id = k.campaign_id
                                       WHERE k.api_key = ?24 AND k.campaign_id = ?25 AND k.publisher_id = ?26
                                         AND kc.deleted_ts IS NULL))
          AND (?27 IS NULL OR EXISTS (SELECT 1 FROM campaign_publishers g
                                       WHERE g.id = ?27 AND g.api_key = ?28 AND g.campaign_id = ?1 AND g.publisher_id = ?2))
          AND (?29 IS NULL OR (SELECT w.publisher_id FROM campaign_publishers w
                                WHERE w.webhook_key = ?29 AND w.campaign_id = ?1) IS ?30)`;

/** The guard's bindings (?21 to ?30) for this request and cached read. */
function guardBinds(input: CaptureInput, config: CaptureConfig): unknown[] {
  const owner = config.ctx.apiKeyOwner;
  return [
    config.ctx.campaign!.apiKey, config.fieldsSignature, input.publisherId,
    input.apiKey, owner?.campaignId ?? null, owner?.publisherId ?? null,
    input.grantKey?.campaignPublisherId ?? null, input.grantKey?.apiKey ?? null,
    input.webhookKey?.key ?? null, input.webhookKey?.boundPublisherId ?? null,
  ];
}

/** The read batch, the checks in their documented order, then the write; remembers the shape. */
async function captureWithReads(
  env: Env, input: CaptureInput, policy: CapturePolicy, configKey: string, now: number,
): Promise<Written | CaptureResult> {
  const idemKey = input.idempotency ? idempotencyRecordKey(input.idempotency) : null;
  const r = await read(env, input, idemKey);

  const status = r.campaign
    ? deriveCampaignStatus(
        {
          startTs: r.campaign.start_ts,
          endTs: r.campaign.end_ts,
          paused: !!r.campaign.paused,
          contractSigned: !!r.campaign.contract_signed,
          leadsRequired: r.campaign.leads_required,
          uncapped: !!r.campaign.uncapped,
        },
        r.campaign.reserved_leads,
        now,
      )
    : null;
  const ctx: CaptureContext = {
    campaign: r.campaign && { id: r.campaign.id, apiKey: r.campaign.api_key, ...status! },
    campaignPublishers: r.publishers.map((p) => ({
      id: p.id, publisherId: p.publisher_id, cap: p.cap, signed: !!p.signed,
    })),
    apiKeyOwner: r.apiKeyOwner && {
      campaignId: r.apiKeyOwner.campaign_id, publisherId: r.apiKeyOwner.publisher_id, apiKey: r.apiKeyOwner.api_key,
    },
  };
  rememberLiveKey(policy, ctx);
  policy.authorize(ctx);

  if (!r.campaign) throw policy.notFound("campaign");
  if (r.fields.length === 0) throw policy.notFound("form");
  if (input.publisherId !== null && ctx.campaignPublishers.length === 0) throw policy.notFound("publisher");
  if (input.publisherId === null && ctx.campaignPublishers.length !== 1) throw policy.publisherRequired();
  if (input.linkId !== null && !r.link) throw policy.notFound("link");
  if (input.body instanceof ApiError) throw input.body;
  const body = input.body;

  const hash = idemKey ? await requestHash(input, body) : "";
  if (r.idempotency) {
    if (r.idempotency.request_hash !== hash) throw idempotencyConflict();
    return replay(r.idempotency);
  }

  if (status!.reason !== null) throw policy.campaignUnavailable(status!.reason);
  const cp = ctx.campaignPublishers[0]!;
  if (!cp.signed) throw policy.contractUnsigned();

  const formFields: FormFieldDef[] = r.fields
    .filter((f) => f.name !== null)
    .map((f) => ({ name: f.name!, type: f.type ?? "text", required: !!f.required }));
  const values = validateCapture(formFields, body);

  const config = {
    ctx,
    campaignPublisher: { id: cp.id, publisherId: cp.publisherId },
    formFields,
    fieldsSignature: r.fieldsSignature,
  };
  const written = await writeLead(env, input, config, values, now, idemKey === null ? null : { key: idemKey, hash }, null);
  // Another capture took the campaign's last place between the read batch and this one.
  if (written === null) throw policy.campaignUnavailable("fulfilled");
  if (!isResult(written)) rememberCaptureConfig(configKey, config, now);
  return written;
}

// The write batch's SQL, built once (the guarded insert's text is the same for every request).
// Inserted only while the campaign has a place left; over allocation once the publisher's reserved
// places reach its cap (both read inside this transaction, see the header). The cached path's
// insert also holds only while GUARD_SQL does.
const insertSql = (guard: string) =>
  `INSERT INTO leads (campaign_id, publisher_id, form_id, link_id, lead_hash, processr_status, over_allocation,
                      email, first_name, last_name, telephone, postcode,
                      address_line1, address_line2, address_line3, address_line4,
                      ip, user_agent, country, data_id, data, created_ts, updated_ts)
   SELECT ?1, ?2, ?3, ?4, ?5, 0,
          coalesce((SELECT cp.cap IS NOT NULL AND cp.reserved_leads >= cp.cap FROM campaign_publishers cp WHERE cp.id = ?6), 0),
          ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?19, ${NEXT_VALUE_ID_SQL}, ?20, ?18, ?18
    WHERE NOT EXISTS (
      SELECT 1 FROM campaigns c JOIN campaign_statistics s ON s.campaign_id = c.id
       WHERE c.id = ?1 AND c.uncapped = 0 AND c.leads_required > 0
         AND s.billable_leads + s.processing_leads >= c.leads_required)
      ${guard}
   RETURNING id`;
const INSERT_SQL = insertSql("");
const GUARDED_INSERT_SQL = insertSql(`AND ${GUARD_SQL}`);
// What a new lead's insert leaves to do, in one statement: its row in the view lead_captures,
// selected from the lead itself (so nothing when no lead was inserted), whose trigger reserves the
// block's value ids, the publisher's place (within its allocation) and counts the lead in the
// campaign's statistics and its day's (migrations/0043_lead_captures.sql). One statement instead of
// four: D1 costs CPU per statement of a batch, on top of what the statement does.
const CAPTURED_SQL =
  `INSERT INTO lead_captures (campaign_id, campaign_publisher_id, over_allocation, last_value_id, day)
   SELECT campaign_id, ?2, over_allocation, data_id + json_array_length(data) - 1, ?3 FROM leads WHERE lead_hash = ?1`;

/**
 * The write batch (a transaction): the lead, its values, the publisher's reserved place, the
 * campaign's statistics and, with a key, the idempotency record. Returns the new lead's id (also
 * when D1 applied the batch but its answer was lost: found by the lead's hash); null
 * when the insert found the campaign full or `guard` false (then nothing is written); or the first
 * answer when a concurrent request with the same Idempotency-Key won the race.
 */
async function writeLead(
  env: Env,
  input: CaptureInput,
  config: Pick<CaptureConfig, "campaignPublisher" | "formFields">,
  values: [string, string][],
  now: number,
  idem: { key: string; hash: string } | null,
  /** The guard's bindings: the cached path's insert (GUARDED_INSERT_SQL); null for the read path's. */
  guard: unknown[] | null,
): Promise<Written | null | CaptureResult> {
  const cp = config.campaignPublisher;
  const formFields = config.formFields;
  const leadHash = randomHex();
  const v = new Map(values);
  const day = new Date(now).toISOString().slice(0, 10);
  const db = env.DB;
  const statements = [
    db.prepare(guard ? GUARDED_INSERT_SQL : INSERT_SQL).bind(
      input.campaignId, cp.publisherId, input.formId, input.linkId, leadHash, cp.id,
      // first_name … address_line4, in insertSql's order (src/leads/core-fields.ts).
      normaliseEmail(v.get(emailFieldName(formFields))), ...coreValues(v, formFields),
      input.ip, input.userAgent?.slice(0, USER_AGENT_MAX) ?? null, now, input.country,
      // The values, as the lead's block (src/leads/lead-data-block.ts): one column, not a row each.
      leadDataBlock(values),
      ...(guard ?? []),
    ),
    db.prepare(CAPTURED_SQL).bind(leadHash, cp.id, day),
  ];
  if (idem) {
    // A plain INSERT: a concurrent request with the same key makes this whole batch fail.
    statements.push(
      db.prepare(
        `INSERT INTO idempotency_keys (key, request_hash, lead_id, response_status, response_body, created_ts)
         SELECT ?1, ?2, id, 201, replace(?3, ?4, id), ?5 FROM leads WHERE lead_hash = ?6`,
      ).bind(idem.key, idem.hash, input.createdBody, PLACEHOLDER_JSON, now, leadHash),
    );
  }

  const sub = input.subscription;
  if (sub) {
    statements.push(
      db.prepare(
        `INSERT INTO sync_subscriptions (lead_id, campaign_publisher_id, callback_url, secret, created_ts)
         SELECT id, ?2, ?3, ?4, ?5 FROM leads WHERE lead_hash = ?1 RETURNING id`,
      ).bind(leadHash, cp.id, sub.callbackUrl, sub.secret, now),
    );
  }

  try {
    const results = await db.batch(statements);
    const leadId = (results[0]!.results[0] as { id: number } | undefined)?.id;
    if (leadId === undefined) return null;
    const subscriptionId = sub ? (results.at(-1)!.results[0] as { id: number }).id : null;
    return subscriptionId === null ? { leadId } : { leadId, subscribed: { subscriptionId, leadHash } };
  } catch (err) {
    if (idem && /UNIQUE constraint failed: idempotency_keys/i.test(String(err))) {
      // Lost the race to a concurrent request with the same key: answer as a retry would be.
      const first = await db
        .prepare(`SELECT request_hash, response_status, response_body, lead_id FROM idempotency_keys WHERE key = ?1`)
        .bind(idem.key)
        .first<NonNullable<Reads["idempotency"]>>();
      if (!first) throw err;
      if (first.request_hash !== idem.hash) throw idempotencyConflict();
      return replay(first);
    }
    // Anything else: the batch may have applied with only its answer lost. The lead with this call's
    // own hash is then this capture's, answered as written (an error would have it posted again).
    const applied = await db
      .prepare(`SELECT l.id, (SELECT s.id FROM sync_subscriptions s WHERE s.lead_id = l.id) AS subscription_id FROM leads l WHERE l.lead_hash = ?1`)
      .bind(leadHash)
      .first<{ id: number; subscription_id: number | null }>()
      .catch(() => null);
    if (applied) {
      const subscriptionId = applied.subscription_id;
      return subscriptionId === null ? { leadId: applied.id } : { leadId: applied.id, subscribed: { subscriptionId, leadHash } };
    }
    throw err;
  }
}

function sendNow(env: Env, leadId: number): Promise<void> {
  return env.PROCESSR_QUEUE.send({ type: "process", leadId }).then(
    () => undefined,
    (err: unknown) => {
      // The lead is stored at processr_status 0; the sweeper sends it again within minutes.
      console.error("processr enqueue failed; the sweeper will retry", leadId, String(err));
    },
  );
}

function rememberLiveKey(policy: CapturePolicy, ctx: CaptureContext): void {
  const key = policy.liveKey?.(ctx) ?? null;
  if (key !== null) rememberVerifiedKey(key);
}

function replay(row: NonNullable<Reads["idempotency"]>): CaptureResult {
  return {
    status: row.response_status,
    body: row.response_body,
    leadId: row.lead_id ?? 0,
    replayed: true,
  };
}
