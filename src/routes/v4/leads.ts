import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { backfillDone } from "../../db/backfills";
import { campaignStatistics, type Lead, leads } from "../../db/schema";
import { ApiError } from "../../errors";
import { isoTs, toBase } from "../../hydra/format";
import { iri, iriMemo, iriPrefix } from "../../hydra/jsonld";
import { type Filter, type QueryParams, type ValueParser, badFilter, dateFilter, exact, inList, intValue, orderFilter, stringValue } from "../../hydra/query";
import { type Ctx, defineResource, field, type Preload } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";
import { transitionLead } from "../../leads/client";
import { CORE_FIELDS, coreValues, typedCoreFieldsSql } from "../../leads/core-fields";
import { leadEmailLower } from "../../processr/job-context";
import { leadValues } from "../../leads/lead-data-block";
import { PLATFORM_DATA_NAMES, platformLeadData } from "../../leads/platform-data";
import type { TransitionRequest } from "../../leads/types";
import { commercialTerms, FLAG_IDS } from "./access";

// GET /api/v4/leads[/{id}] (the Convertr v4 API quick start Lead), PATCH (flag change, merge-patch) and DELETE (soft).
// Status changes go through the lead's Durable Object only (transitionLead).

interface Extra {
  /** A lead's stored values in id order: decoded from its row's leads.data (an archived lead: its file's). */
  values(l: Lead): { id: number; name: string; value: string }[];
  notes: Map<number, number[]>;
  jobs: Map<number, number[]>;
  /** An amount of a lead of the campaign in the enterprise's base currency. */
  base(amount: string, campaignId: number): string;
  /**
   * What capture would have copied into the core columns (coreValues, in CORE_FIELDS' order), for
   * leads that can lack a copy while migration 0046's backfill is pending; null once it is done,
   * when a lead without a copy has no value for it.
   */
  copies(l: Lead): readonly (string | null)[] | null;
}

/** A form's fields that the core values read first (typedCoreFieldsSql), by form id. */
export type TypedFields = (formId: number) => readonly { name: string; type: string }[];

/** TypedFields from typedCoreFieldsSql's rows (a form id, a field as JSON), in their order. */
export function typedFieldsOf(rows: Iterable<{ formId: number; field: string }>): TypedFields {
  const byForm = new Map<number, { name: string; type: string }[]>();
  for (const { formId, field } of rows) {
    const parsed = JSON.parse(field) as { name: string; type: string };
    const list = byForm.get(formId);
    if (list) list.push(parsed);
    else byForm.set(formId, [parsed]);
  }
  return (formId) => byForm.get(formId) ?? [];
}

/**
 * Extra["copies"] from each lead's values and its form's typed fields, worked out once per lead:
 * the copied fields of an item ask for it in turn, and items are rendered one after another, so
 * keeping the last lead's decodes its values once rather than once per field, in a memo that
 * never grows with a page or an export.
 */
export function copiesOf(values: (l: Lead) => ReadonlyMap<string, string>, typedFields: TypedFields): Extra["copies"] {
  let last: Lead | undefined;
  let copies: (string | null)[] = [];
  return (l) => {
    if (l !== last) {
      copies = coreValues(values(l), typedFields(l.formId));
      last = l;
    }
    return copies;
  };
}

/**
 * Base-currency amounts of one page: a page's leads share a few payouts and rates, so each
 * (amount, rate) pair is converted once per page instead of twice per lead.
 */
export function baseCurrency(rates: { id: number; rate: string }[]): Extra["base"] {
  const rate = new Map(rates.map((r) => [r.id, r.rate]));
  // By rate, then amount: no key string made (and hashed) per lookup.
  const converted = new Map<string, Map<string, string>>();
  return (amount, campaignId) => {
    const r = rate.get(campaignId) ?? "1";
    let byAmount = converted.get(r);
    if (byAmount === undefined) converted.set(r, (byAmount = new Map()));
    let value = byAmount.get(amount);
    if (value === undefined) byAmount.set(amount, (value = toBase(amount, r)));
    return value;
  };
}

/**
 * A row of the preload's one statement: a lead's note (k 0) or Processr result (k 1), a campaign's
 * rate (k 2), or a form's typed field (k 3).
 */
export interface Related {
  k: 0 | 1 | 2 | 3;
  id: number;
  /** The lead's id; for a rate, the rate to base; for a form's field, the field as JSON {name, type}. */
  ref: number | string;
}

/**
 * The page's notes, Processr results and currency rates in one statement, from the leads' ids and
 * campaigns as a subquery, materialized once: a collection runs it in the page's own batch (one D1 round trip
 * per page, and its query run once more instead of once per relation). The lead data is not
 * read: each lead's values are on the row already read (leads.data), decoded by leadValues.
 * Results from the view processr_job_lead_ids (ids alone): the local D1 compiles every statement
 * anew, and processr_job_leads' score, label and text expressions over each trail were most of
 * this statement's cost (migration 0041).
 */
function preload(_ctx: Ctx, page: SQL): Preload<Lead, Extra> {
  // The page brings each lead's campaign and form (pageColumns): the rates and forms read no lead again by id.
  // The forms' typed fields only while the core-field copies are pending (`copied`).
  const forms = backfillDone("coreFields")
    ? undefined
    : sql`UNION ALL SELECT 3, form_id, field FROM (${sql.raw(typedCoreFieldsSql("(SELECT DISTINCT form_id FROM page)"))})`;
  const related = sql`select k, id, ref from (WITH page(id, campaign_id, form_id) AS MATERIALIZED (SELECT * FROM ${page})
      SELECT 0 AS k, id, lead_id AS ref FROM lead_notes WHERE lead_id IN (SELECT id FROM page)
      UNION ALL SELECT 1, id, lead_id FROM processr_job_lead_ids WHERE lead_id IN (SELECT id FROM page)
      UNION ALL SELECT 2, c.id, r.rate_to_base FROM campaigns c JOIN currencies r ON r.id = c.currency_id
                 WHERE c.id IN (SELECT campaign_id FROM page)
      ${forms}) order by k, id`;
  return {
    statements: [related],
    build: (_rows, [rows]) => leadExtra(rows as Related[]),
  };
}

/**
 * The extra of leads from their related rows (ordered by k, then id): a page's preload, or an
 * archived lead's own rows with the values of its file.
 */
export function leadExtra(related: Related[], values: Extra["values"] = leadValues): Extra {
  const notes = new Map<number, number[]>();
  const jobs = new Map<number, number[]>();
  const rates: { id: number; rate: string }[] = [];
  const typed: { formId: number; field: string }[] = [];
  for (const r of related) {
    if (r.k === 2) {
      rates.push({ id: r.id, rate: r.ref as string });
      continue;
    }
    if (r.k === 3) {
      typed.push({ formId: r.id, field: r.ref as string });
      continue;
    }
    const by = r.k === 0 ? notes : jobs;
    const list = by.get(r.ref as number);
    if (list) list.push(r.id);
    else by.set(r.ref as number, [r.id]);
  }
  const copies = backfillDone("coreFields")
    ? () => null
    : copiesOf((l) => new Map(values(l).map((d) => [d.name, d.value])), typedFieldsOf(typed));
  return { values, notes, jobs, base: baseCurrency(rates), copies };
}

const byCampaign = exact("campaign.id", leads.campaignId, intValue);

/**
 * updated_ts is indexed in two halves (schema.ts): leads_processed_updated_idx over leads the
 * Processr is done with, leads_unprocessed_idx holding the others (few: those queued or in a
 * run). A range is searched in each through its index; both the count and a page then read only
 * the leads in range (a page in id order from the ids found, without a scan of the table).
 */
export const updatedTsFilter = dateFilter("updatedTs", leads.updatedTs, (range) =>
  sql`${leads.id} IN (SELECT id FROM leads WHERE processr_status >= 500 AND ${range}
                      UNION ALL SELECT id FROM leads WHERE processr_status < 500 AND ${range})`);

// A Map: flag ids come from the query string.
const FLAG_BY_ID = new Map<number, keyof typeof FLAG_IDS>(Object.entries(FLAG_IDS).map(([k, v]) => [v, k as keyof typeof FLAG_IDS]));

/** A lead flag id (1 Valid, 2 Invalid, 3 Caution, 4 Test) or its IRI, as the flag name stored on the lead. */
const flagValue: ValueParser = (raw, variable) => {
  const name = FLAG_BY_ID.get(Number(intValue(raw, variable)));
  if (!name) throw badFilter(variable, "expected a lead flag id (1 Valid, 2 Invalid, 3 Caution, 4 Test) or its IRI");
  return name;
};

/**
 * hydra:totalItems of an admin's list filtered by campaign only, from the running totals instead
 * of counting the campaigns' leads (2.3 s at 1,000,000 leads): campaign_statistics.total_leads is
 * the number of live leads of the campaign, changed in the same D1 batch as every lead it counts
 * (src/leads/statistics.ts), which is exactly what this list shows (live leads of the campaigns).
 */
function campaignTotal(ctx: Ctx, q: QueryParams, active: Filter[]) {
  if (!ctx.isAdmin || active.length !== 1 || active[0] !== byCampaign) return undefined;
  return sql`select coalesce(sum(${campaignStatistics.totalLeads}), 0) as n from ${campaignStatistics}
    where ${inList(campaignStatistics.campaignId, byCampaign.values!(q)!)}`;
}

/**
 * A flag's embedded object, made once per isolate: every lead with that flag shows the same one,
 * instead of an object and its IRI made per lead. Bodies are only serialised, never changed, so
 * items share it (not frozen: V8 stringified pages of frozen ones more slowly).
 */
function flagRefs(type: "LeadFlag" | "LeadQaResult", path: string) {
  const refs = new Map(
    (Object.keys(FLAG_IDS) as (keyof typeof FLAG_IDS)[]).map((flag) => [flag, { "@id": iri(path, FLAG_IDS[flag]), "@type": type, name: flag }]),
  );
  return (flag: Lead["flag"]) => (flag === null ? null : refs.get(flag)!);
}
const leadFlagRef = flagRefs("LeadFlag", "lead-flags");
const qaResultRef = flagRefs("LeadQaResult", "lead-qa-results");

// A page's leads point at a few campaigns and publishers.
const campaignIri = iriMemo("campaigns");
const publisherIri = iriMemo("publishers");

const str = (get: (l: Lead) => string | null, description?: string) =>
  field<Lead, Extra>("string", (l) => get(l), { nullable: true, description });
/** A core captured value: "" when the form did not capture it, as in Convertr's Lead example. */
const core = (get: (l: Lead) => string | null) => field<Lead, Extra>("string", (l) => get(l) ?? "");
/**
 * A core value whose copy migration 0046 left to the Worker (src/db/backfills.ts): until that is
 * done, a lead without the copy shows what its values give by the capture rule (Extra["copies"]:
 * the form's typed field first, read by the preload meanwhile, then the names).
 */
const copied = (column: (typeof CORE_FIELDS)[number]["column"], get: (l: Lead) => string | null) => {
  const at = CORE_FIELDS.findIndex((c) => c.column === column);
  return field<Lead, Extra>("string", (l, x) => get(l) ?? x.copies(l)?.[at] ?? "");
};

const LEAD_DATA_IRI = iriPrefix("lead-datas");
const LEAD_NOTE_IRI = iriPrefix("lead-notes");
const JOB_RESULT_IRI = iriPrefix("processr-job-leads");

/**
 * The platform values (computed, see src/leads/platform-data.ts; no @id, as they are not
 * lead-datas rows) that the form did not capture under the same name, then the stored values.
 */
function leadData(l: Lead, stored: { id: number; name: string; value: string }[]) {
  // Plain loops: this runs for every lead of a page (a lead has few values, so a scan finds a name).
  const platform = platformLeadData(l);
  const out: Record<string, unknown>[] = [];
  for (const name of PLATFORM_DATA_NAMES) {
    let captured = false;
    for (let i = 0; i < stored.length && !captured; i++) captured = stored[i]!.name === name;
    if (!captured) out.push({ "@type": "LeadData", name, value: platform[name] });
  }
  for (let i = 0; i < stored.length; i++) {
    const d = stored[i]!;
    out.push({ "@id": LEAD_DATA_IRI + d.id, "@type": "LeadData", name: d.name, value: d.value });
  }
  return out;
}
const bool = (get: (l: Lead) => boolean, description?: string) => field<Lead, Extra>("boolean", (l) => get(l), { description });
const int = (get: (l: Lead) => number, description?: string) => field<Lead, Extra>("integer", (l) => get(l), { description });
const money = (get: (l: Lead, x: Extra) => string, opts: { adminOnly?: boolean; description?: string } = {}) =>
  field<Lead, Extra>("money", get, opts);

const patchSchema = z
  .object({
    leadFlag: relation("lead-flags").refine((id) => id >= 1 && id <= 4, "Unknown lead flag (1 Valid, 2 Invalid, 3 Caution, 4 Test)."),
    reason: z.string().trim().min(1, "A reason is required.").max(1000),
  })
  .strict();

async function transition(ctx: Ctx, id: number, to: TransitionRequest["to"], reason: string | null) {
  const result = await transitionLead(ctx.env, {
    leadId: id,
    to,
    source: to === "Deleted" ? "delete" : "manual",
    userId: ctx.principal.userId,
    author: ctx.principal.username,
    reason,
  });
  if (result.ok) return;
  if (result.code === "NOT_FOUND") throw new ApiError("NOT_FOUND", "Not Found");
  throw unprocessable([{ propertyPath: to === "Deleted" ? "" : "leadFlag", message: result.message }]);
}

export const leadResource = defineResource<Lead, Extra>({
  type: "Lead",
  path: "leads",
  title: "Lead",
  description: "A lead captured on a campaign, with its captured values, Processr outcome and flag.",
  table: leads,
  id: leads.id,
  fields: {
    id: int((l) => l.id),
    publisherSubId: str((l) => l.publisherSubId),
    formHash: field("string", (l) => String(l.formId), { description: "The form the lead was captured with." }),
    createdTs: field("dateTime", (l) => isoTs(l.createdTs)),
    updatedTs: field("dateTime", (l) => isoTs(l.updatedTs)),
    postcode: copied("postcode", (l) => l.postcode),
    addressLine1: core((l) => l.addressLine1),
    addressLine2: core((l) => l.addressLine2),
    addressLine3: core((l) => l.addressLine3),
    addressLine4: core((l) => l.addressLine4),
    firstName: copied("first_name", (l) => l.firstName),
    lastName: copied("last_name", (l) => l.lastName),
    email: core((l) => l.email),
    telephone: copied("telephone", (l) => l.telephone),
    integration: bool((l) => l.firstDeliveredTs !== null, "Delivered to the client by an integration job."),
    overAllocation: bool((l) => l.overAllocation),
    visible: bool((l) => l.deletedTs === null, "False once the lead is deleted (deleted leads are not listed)."),
    processrStatus: int((l) => l.processrStatus, "0 received, 100 sent to Processr, 500/510 on hold, 900 failed, 1000 complete."),
    score: int((l) => l.score),
    hardfail: bool((l) => l.hardfail),
    maxScore: int((l) => l.maxScore),
    baseCurrencyPublisherPayout: money((l, x) => x.base(l.publisherPayout, l.campaignId)),
    publisherPayout: money((l) => l.publisherPayout),
    baseCurrencyAdvertiserPayout: money((l, x) => x.base(l.advertiserPayout, l.campaignId), commercialTerms),
    advertiserPayout: money((l) => l.advertiserPayout, commercialTerms),
    advertiserBillable: field("boolean", (l) => l.advertiserBillable, commercialTerms),
    publisherBillable: bool((l) => l.publisherBillable),
    leadData: field({ embedMany: "LeadData" }, (l, x) => leadData(l, x.values(l)), {
      description: "emailDomain, createdDate, country, ip and userAgent (computed, no @id) unless captured, then the stored values.",
    }),
    leadNotes: field({ links: "LeadNote" }, (l, x) => (x.notes.get(l.id) ?? []).map((n) => LEAD_NOTE_IRI + n)),
    campaign: field({ link: "Campaign" }, (l) => campaignIri(l.campaignId)),
    publisher: field({ link: "Publisher" }, (l) => publisherIri(l.publisherId)),
    qaResult: field({ embed: "LeadQaResult" }, (l) => qaResultRef(l.qaResult), { nullable: true }),
    leadFlag: field({ embed: "LeadFlag" }, (l) => leadFlagRef(l.flag), {
      nullable: true,
      writable: true,
      description: 'PATCH with {"leadFlag": "/api/v4/lead-flags/N", "reason": "..."} (merge-patch) changes it.',
    }),
    leadProcessrJobs: field({ links: "ProcessrJobLead" }, (l, x) => (x.jobs.get(l.id) ?? []).map((j) => JOB_RESULT_IRI + j)),
    leadHash: str((l) => l.leadHash),
    otherReason: str((l) => l.otherReason, 'Mark as Other: "Replacement" or "Other" (POST /api/v4/leads-bulk-metadata), null when not marked.'),
    otherComment: str((l) => l.otherComment, "The comment given with Mark as Other."),
  },
  filters: [
    exact("id", leads.id, intValue),
    // Exact match, searched through the lower(email) index (the only email index, see schema.ts).
    exact("email", (_list, [email]) => sql`${leadEmailLower} = lower(${email}) AND ${leads.email} = ${email}`, stringValue, { many: false }),
    byCampaign,
    orderFilter({ id: leads.id }),
    dateFilter("createdTs", leads.createdTs),
    updatedTsFilter,
    // Beyond Convertr's documented template: the Leads screen's flag and publisher filters.
    exact("leadFlag.id", leads.flag, flagValue),
    exact("publisher.id", leads.publisherId, intValue),
  ],
  base: () => sql`${leads.deletedTs} IS NULL`,
  scope: (ctx) => sql`${leads.publisherId} = ${ctx.publisherId}`,
  total: campaignTotal,
  preload,
  pageColumns: [leads.campaignId, leads.formId],
  patch: {
    schema: patchSchema,
    async run(ctx, data: z.infer<typeof patchSchema>, id) {
      await transition(ctx, id!, FLAG_BY_ID.get(data.leadFlag)!, data.reason);
      return id!;
    },
  },
  async remove(ctx, id) {
    await transition(ctx, id, "Deleted", null);
  },
});
