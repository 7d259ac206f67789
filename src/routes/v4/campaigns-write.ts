import { eq, inArray, sql } from "drizzle-orm";
import { type Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../../auth/authenticate";
import { randomHex } from "../../auth/crypto";
import {
  advertisers,
  campaignProcessrJobs,
  campaignPublishers,
  campaignStatistics,
  campaigns,
  countries,
  currencies,
  formFields,
  forms,
  links,
  subcategories,
  users,
} from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError, type Violation } from "../../errors";
import { iri, ld } from "../../hydra/jsonld";
import { type Ctx, context, findRow, itemBody, requireAdminCtx, type WriteOp } from "../../hydra/resource";
import { assertRefs } from "../../hydra/refs";
import { jobGroupCopies } from "./campaign-processr-job-groups";
import { dateTime, money, readJsonObject, relation, unprocessable, validate } from "../../hydra/write";

// Campaign configuration and lifecycle (Convertr's campaign documentation): create, update (PUT, which also pauses and
// resumes), soft delete, duplicate.

const bool = z.boolean();
const text = (max = 255) => z.string().max(max);
const nullableText = (max = 255) => z.string().max(max).nullable();

const settings = {
  name: z.string().trim().min(1, "This value should not be blank.").max(255),
  advertiser: relation("advertisers"),
  currency: relation("currencies"),
  startTs: dateTime,
  endTs: dateTime,
  leadsRequired: z.number().int().min(0),
  payout: z.enum(["CPL", "CPA", "CPC", "Fixed"]),
  payoutAmount: money,
  contractValue: money,
  defaultPublisherRate: z.number().int().min(0).max(100),
  campaignMarket: z.enum(["b2b", "b2c"]),
  defaultThresholdScore: z.number().int().min(0).max(100),
  integrate: bool,
  callCentre: bool,
  doubleOptin: bool,
  scoreBaseRouting: bool,
  performanceModel: text(50),
  internalOnly: bool,
  publisherPayoutType: z.enum(["CPL", "CPA", "CPC", "Fixed"]),
  manualScore: bool,
  useValueTransforms: bool,
  testMode: bool,
  holdPublisherOverDelivery: bool,
  uncapped: bool,
  unavailableCampaignLogic: z.enum(["allow_leads", "redirect", "reject_leads"]),
  unavailableCampaignRedirectUrl: z.url().max(2000).nullable(),
  leadProcessDelay: z.number().int().min(0).max(86_400),
  archiveAfterDays: z.number().int().min(1).max(36_500).nullable(),
  isTemplate: bool,
  notes: nullableText(5000),
  signName: nullableText(),
  signRole: nullableText(),
  signTs: dateTime.nullable(),
  signIoNumber: nullableText(),
  terms: text(20_000),
  contractSigned: bool,
  exposePublisher: bool,
  exposePublisherSub: bool,
  welcomeEmail: bool,
  sendVoucher: bool,
  sendMediakit: bool,
  conversionRate: z.string().regex(/^\d{1,6}(\.\d{1,4})?$/, "Expected a decimal with at most 4 places."),
  endTsExtension: z.number().int().min(0),
  valueBasedRouting: bool,
  autoSignPublisher: bool,
  variablePublisherPayout: bool,
  useScheduledDelivery: bool,
  allowPublisherImportExport: bool,
  publisherTerms: nullableText(20_000),
  purchaseOrder: nullableText(),
  referenceNumber: nullableText(),
  defaultSaleValue: money,
  defaultSaleCurrency: z.string().regex(/^[A-Z]{3}$/, "Expected an ISO 4217 code.").nullable(),
  accountManager: relation("users").nullable(),
  campaignManager: relation("users").nullable(),
  country: relation("countries").nullable(),
  subcategory: relation("subcategories").nullable(),
  facebookOfflineEventSetId: nullableText(),
  facebookSystemUserAccessToken: nullableText(1000),
  /** Pausing: from this date-time (now or past: at once; future: scheduled); null resumes. */
  pauseTs: dateTime.nullable(),
  pauseReason: nullableText(1000),
};

const RENAMED = new Map([
  ["advertiser", "advertiserId"],
  ["currency", "currencyId"],
  ["accountManager", "accountManagerId"],
  ["campaignManager", "campaignManagerId"],
  ["country", "countryId"],
  ["subcategory", "subcategoryId"],
]);

const createSchema = z
  .object(settings)
  .partial()
  .required({ name: true, advertiser: true, currency: true, startTs: true, endTs: true, payoutAmount: true })
  .strict();
const updateSchema = z.object(settings).partial().strict();

type Input = z.infer<typeof updateSchema>;

/** Cross-field and reference checks shared by create and update. */
async function check(ctx: Ctx, data: Input, current?: { startTs: number; endTs: number }): Promise<Record<string, unknown>> {
  const problems: Violation[] = [];
  const start = data.startTs ?? current?.startTs;
  const end = data.endTs ?? current?.endTs;
  if (start !== undefined && end !== undefined && end <= start) problems.push({ propertyPath: "endTs", message: "endTs must be after startTs." });
  if (problems.length) throw unprocessable(problems);
  await assertRefs(ctx.db, [
    { propertyPath: "advertiser", path: "advertisers", table: advertisers, id: data.advertiser },
    { propertyPath: "currency", path: "currencies", table: currencies, id: data.currency },
    { propertyPath: "accountManager", path: "users", table: users, id: data.accountManager },
    { propertyPath: "campaignManager", path: "users", table: users, id: data.campaignManager },
    { propertyPath: "country", path: "countries", table: countries, id: data.country },
    { propertyPath: "subcategory", path: "subcategories", table: subcategories, id: data.subcategory },
  ]);
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) values[RENAMED.get(k) ?? k] = v;
  if (data.pauseTs !== undefined) {
    // A future pauseTs is a scheduled pause: the cron pauses the campaign then (src/campaigns).
    values.paused = data.pauseTs !== null && data.pauseTs <= ctx.now;
    if (data.pauseTs === null) values.pauseReason = null;
  }
  values.updatedTs = ctx.now;
  return values;
}

export const campaignCreate: WriteOp<z.infer<typeof createSchema>> = {
  schema: createSchema,
  async run(ctx, data) {
    const values = await check(ctx, data);
    const apiKey = randomHex();
    // No campaign_statistics row yet: the lead paths upsert it, and reads treat a missing row as zeros.
    const inserted = await ctx.db.insert(campaigns).values({ ...(values as typeof campaigns.$inferInsert), apiKey }).returning({ id: campaigns.id });
    return inserted[0]!.id;
  },
};

export const campaignUpdate: WriteOp<Input> = {
  schema: updateSchema,
  async run(ctx, data, id) {
    const current = await ctx.db.select().from(campaigns).where(eq(campaigns.id, id!)).get();
    const values = await check(ctx, data, current!);
    await ctx.db.update(campaigns).set(values).where(eq(campaigns.id, id!));
    return id!;
  },
};

export async function campaignDelete(ctx: Ctx, id: number) {
  await ctx.db.update(campaigns).set({ deletedTs: ctx.now, updatedTs: ctx.now }).where(eq(campaigns.id, id));
}

const duplicateSchema = z
  .object({
    name: settings.name.optional(),
    startTs: dateTime.optional(),
    endTs: dateTime.optional(),
    includeLinks: bool.default(false),
    includePublishers: bool.default(false),
  })
  .strict();

/** What a copy of a campaign takes beyond its settings. */
export interface CopyOptions {
  name: string;
  startTs: number;
  endTs: number;
  forms: boolean;
  processrJobs: boolean;
  links: boolean;
  publishers: boolean;
  /** Settings of the copy that differ from the source's (columns of campaigns). */
  overrides?: Partial<typeof campaigns.$inferInsert>;
}

/**
 * A new campaign with the source's settings and, as asked, its forms and fields, Processr jobs
 * (with their job groups), links and publishers (with fresh API keys and landing-page keys); not paused, statistics at zero.
 * One D1 batch: all of it or nothing. Returns the new campaign's id.
 */
export async function copyCampaign(db: Ctx["db"], source: typeof campaigns.$inferSelect, opts: CopyOptions, now: number): Promise<number> {
  const sourceId = source.id;
  const [srcForms, srcJobs, srcLinks, srcPubs, max] = await db.batch([
    db.select().from(forms).where(eq(forms.campaignId, sourceId)).orderBy(forms.id),
    db.select().from(campaignProcessrJobs).where(eq(campaignProcessrJobs.campaignId, sourceId)).orderBy(campaignProcessrJobs.id),
    db.select().from(links).where(eq(links.campaignId, sourceId)).orderBy(links.id),
    db.select().from(campaignPublishers).where(eq(campaignPublishers.campaignId, sourceId)).orderBy(campaignPublishers.id),
    db.select({
      campaign: sql<number>`(SELECT coalesce(max(id), 0) FROM campaigns)`,
      form: sql<number>`(SELECT coalesce(max(id), 0) FROM forms)`,
      link: sql<number>`(SELECT coalesce(max(id), 0) FROM links)`,
      job: sql<number>`(SELECT coalesce(max(id), 0) FROM campaign_processr_jobs)`,
    }).from(sql`(SELECT 1)`),
  ]);
  const copiedForms = opts.forms ? srcForms : [];
  const fields = copiedForms.length
    ? await db.select().from(formFields).where(inArray(formFields.formId, copiedForms.map((f) => f.id))).orderBy(formFields.id)
    : [];
  const newId = max[0]!.campaign + 1;
  const formIds = new Map(copiedForms.map((f, i) => [f.id, max[0]!.form + 1 + i]));
  // Jobs take known ids too, so that the copy's job groups can name them.
  const copiedJobs = opts.processrJobs ? srcJobs : [];
  const jobIds = new Map(copiedJobs.map((j, i) => [j.id, max[0]!.job + 1 + i]));
  const groupWrites = copiedJobs.length ? await jobGroupCopies(db, sourceId, newId, jobIds, now) : [];
  const { id: _id, createdTs: _c, ...copy } = source;
  const writes = [
    db.insert(campaigns).values({
      // A copy is a campaign of its own, even when its source is a template.
      ...copy, isTemplate: false, ...opts.overrides, id: newId, name: opts.name, startTs: opts.startTs, endTs: opts.endTs, apiKey: randomHex(),
      paused: false, pauseTs: null, pauseReason: null, deletedTs: null, createdTs: now, updatedTs: now,
      // The purchase order is the source's own document (its object is keyed by the source's id).
      purchaseOrderFileName: null, purchaseOrderFileType: null, purchaseOrderFileSize: null, purchaseOrderFileTs: null,
    }),
    db.insert(campaignStatistics).values({ campaignId: newId }),
    ...copiedForms.map((f) => db.insert(forms).values({ id: formIds.get(f.id)!, campaignId: newId, name: f.name, createdTs: now, updatedTs: now })),
    ...fields.map(({ id: _f, formId, ...rest }) => db.insert(formFields).values({ ...rest, formId: formIds.get(formId)! })),
    ...copiedJobs.map(({ id, campaignId: _cid, createdTs: _ct, ...rest }) =>
      db.insert(campaignProcessrJobs).values({ ...rest, id: jobIds.get(id)!, campaignId: newId, createdTs: now, updatedTs: now })),
    ...groupWrites,
    ...(opts.links ? srcLinks : []).map(({ id: _l, campaignId: _cid, createdTs: _ct, ...rest }, i) =>
      db.insert(links).values({ ...rest, id: max[0]!.link + 1 + i, campaignId: newId, createdTs: now, updatedTs: now })),
    ...(opts.publishers ? srcPubs : []).map(({ id: _p, campaignId: _cid, apiKey: _k, webhookKey: _w, createdTs: _ct, ...rest }) =>
      db.insert(campaignPublishers).values({ ...rest, campaignId: newId, apiKey: randomHex(), webhookKey: randomHex(), createdTs: now, updatedTs: now })),
  ];
  try {
    await db.batch(writes as [typeof writes[0], ...typeof writes]);
  } catch (e) {
    // Two duplications at once may pick the same new ids; the batch is atomic, so nothing was written.
    if (/UNIQUE|PRIMARY KEY/i.test(String(e))) throw new ApiError("CONFLICT", "Another campaign was created at the same time; retry.");
    throw e;
  }
  return newId;
}

/**
 * POST /api/v4/campaigns/{id}/duplicate: a new campaign with the source's settings, forms and
 * fields and Processr jobs (links and publishers on request, publishers with fresh API keys).
 * Not paused, not signed over: statistics start at zero.
 */
export function mountCampaignDuplicate(app: Hono<AppEnv>, def: Parameters<typeof findRow>[0]) {
  app.post("/campaigns/:id{[0-9]+}/duplicate", authenticate(), async (c) => {
    const ctx = context(c);
    const sourceId = Number(c.req.param("id"));
    const source = (await findRow(def, ctx, sourceId)) as typeof campaigns.$inferSelect;
    requireAdminCtx(ctx);
    const hasBody = (c.req.header("Content-Length") ?? "0") !== "0" || c.req.header("Content-Type") !== undefined;
    const opts = validate(duplicateSchema, hasBody ? await readJsonObject(c, "json") : {});
    const startTs = opts.startTs ?? source.startTs;
    const endTs = opts.endTs ?? source.endTs;
    if (endTs <= startTs) throw unprocessable([{ propertyPath: "endTs", message: "endTs must be after startTs." }]);
    const newId = await copyCampaign(
      ctx.db,
      source,
      { name: opts.name ?? `${source.name} (copy)`, startTs, endTs, forms: true, processrJobs: true, links: opts.includeLinks, publishers: opts.includePublishers },
      ctx.now,
    );
    return ld(c, await itemBody(def, ctx, newId), 201, { "Content-Location": iri("campaigns", newId) });
  });
}
