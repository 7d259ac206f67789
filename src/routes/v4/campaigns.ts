import { type SQL, and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { sha256Hex } from "../../auth/crypto";
import { deriveCampaignStatus, CAMPAIGN_STATUSES } from "../../db/campaign-status";
import {
  advertisers,
  type Campaign,
  campaignProcessrJobs,
  campaignPublishers,
  campaignStatistics,
  campaigns,
  countries,
  currencies,
  subcategories,
} from "../../db/schema";
import { integrationJobs } from "../../integrations";
import { qaJobs } from "../../processr/jobs";
import { isoTs, mulDecimal, toBase } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { customFilter, dateFilter, enumValue, exact, type Filter, inList, intValue, orderFilter, partial, stringValue, valueList } from "../../hydra/query";
import { type Ctx, defineResource, field, type Range } from "../../hydra/resource";
import { commercialTerms, onCampaign } from "./access";
import { combinedJobScoreSql } from "./campaign-processr-job-groups";
import { activePublishersSql, baseRevenueSql, type LeadFigures, publisherFigures, revenueSql, stat, statOrder, statusSql } from "./campaign-sql";
import { campaignCreate, campaignDelete, campaignUpdate } from "./campaigns-write";
import { purchaseOrderFileUrl } from "./campaigns-purchase-order-file";
import { isoValue } from "./countries";
import { CAMPAIGN_UNAVAILABLE } from "../publisher/leads";

/**
 * A publisher user may ask only about its own publisher: which campaigns other publishers are on is
 * not its business, so other ids in the filter match nothing.
 */
function ownPublisherOnly(filter: Filter): Filter {
  return {
    ...filter,
    where(q, ctx) {
      const ids = filter.values!(q);
      if (!ids || !ctx || ctx.isAdmin) return filter.where!(q, ctx);
      if (!ids.includes(ctx.publisherId!)) return sql`0`;
      return sql`EXISTS (SELECT 1 FROM campaign_publishers p WHERE p.campaign_id = ${campaigns.id} AND p.publisher_id = ${ctx.publisherId})`;
    },
  };
}

// GET /api/v4/campaigns[/{id}]: the Convertr v4 API quick start Campaign with embedded advertiser, currency and
// statistics; status derived (deriveCampaignStatus); apiKey shown to admins only. A publisher user
// sees its own figures in `statistics`, and neither the client's commercial terms nor anything
// campaign-wide that counts other publishers' leads.

interface Extra {
  /** The campaign's running totals (its status depends on them, whoever asks). */
  stats: Map<number, typeof campaignStatistics.$inferSelect>;
  /** A publisher user's own figures (absent for admins). */
  own?: Map<number, LeadFigures>;
  advertisers: Map<number, { id: number; name: string }>;
  currencies: Map<number, typeof currencies.$inferSelect>;
  jobScore: Map<number, number>;
  publishers: Map<number, { active: number; unsigned: number }>;
  signHash: Map<number, string>;
  countries: Map<number, typeof countries.$inferSelect>;
  subcategories: Map<number, string>;
}

async function load(ctx: Ctx, rows: Campaign[]): Promise<Extra> {
  const ids = rows.map((r) => r.id);
  const db = ctx.db;
  const used = (key: "countryId" | "subcategoryId") => [...new Set(rows.flatMap((r) => (r[key] === null ? [] : [r[key]])))];
  const [stats, advs, curs, jobs, pubs, ctrs, subs] = await db.batch([
    db.select().from(campaignStatistics).where(inList(campaignStatistics.campaignId, ids)),
    db.select({ id: advertisers.id, name: advertisers.name }).from(advertisers).where(inList(advertisers.id, [...new Set(rows.map((r) => r.advertiserId))])),
    db.select().from(currencies),
    db.select({ campaignId: campaignProcessrJobs.campaignId, score: combinedJobScoreSql(campaignProcessrJobs) })
      .from(campaignProcessrJobs)
      .where(and(inList(campaignProcessrJobs.campaignId, ids), eq(campaignProcessrJobs.enabled, true)))
      .groupBy(campaignProcessrJobs.campaignId),
    db.select({
      campaignId: campaignPublishers.campaignId,
      active: sql<number>`sum(${campaignPublishers.signed} = 1)`,
      unsigned: sql<number>`sum(${campaignPublishers.signed} = 0)`,
    }).from(campaignPublishers).where(inList(campaignPublishers.campaignId, ids)).groupBy(campaignPublishers.campaignId),
    db.select().from(countries).where(inList(countries.id, used("countryId"))),
    db.select({ id: subcategories.id, name: subcategories.name }).from(subcategories).where(inList(subcategories.id, used("subcategoryId"))),
  ]);
  // The signature fingerprint: a stable hash of who signed what, when (null until signed; admins only).
  const signHash = new Map<number, string>();
  for (const r of rows) {
    if (ctx.isAdmin && r.signTs !== null) signHash.set(r.id, (await sha256Hex(`${r.id}|${r.signName}|${r.signRole}|${r.signTs}|${r.signIoNumber}`)).slice(0, 32));
  }
  return {
    stats: new Map(stats.map((s) => [s.campaignId, s])),
    advertisers: new Map(advs.map((a) => [a.id, a])),
    currencies: new Map(curs.map((c) => [c.id, c])),
    jobScore: new Map(jobs.map((j) => [j.campaignId, Number(j.score)])),
    publishers: new Map(pubs.map((p) => [p.campaignId, { active: Number(p.active), unsigned: Number(p.unsigned) }])),
    signHash,
    countries: new Map(ctrs.map((c) => [c.id, c])),
    subcategories: new Map(subs.map((s) => [s.id, s.name])),
    own: ctx.isAdmin ? undefined : await publisherFigures(ctx, ids),
  };
}

type F = (c: Campaign, x: Extra, ctx: Ctx) => unknown;
const f = (range: Range, get: F, opts: { writable?: boolean; adminOnly?: boolean; description?: string } = {}) =>
  field<Campaign, Extra>(range, get, { writable: true, ...opts });
const ro = (range: Range, get: F, opts: { adminOnly?: boolean; description?: string } = {}) =>
  field<Campaign, Extra>(range, get, { writable: false, ...opts });
const rate = (c: Campaign, x: Extra) => x.currencies.get(c.currencyId)?.rateToBase ?? "1.0000";
const billable = (c: Campaign, x: Extra) => x.stats.get(c.id)?.billableLeads ?? 0;
const revenue = (c: Campaign, x: Extra) => mulDecimal(c.payoutAmount, billable(c, x));
const userIri = (id: number | null) => (id === null ? null : iri("users", id));
// The client's commercial terms and contract with the advertiser: not for publisher users.
const terms = commercialTerms;
const adminOrder = (expr: SQL) => (ctx: Ctx) => (ctx.isAdmin ? expr : undefined);
const countryIsoSql = sql`(SELECT c.iso FROM countries c WHERE c.id = ${campaigns.countryId})`;

const LEAD_FIGURES = [
  "totalLeads", "invalidLeads", "cautionLeads", "validLeads", "testLeads", "billableLeads", "deliveredLeads", "heldLeads", "processingLeads",
] as const satisfies (keyof LeadFigures)[];

function statistics(c: Campaign, x: Extra) {
  const s = x.stats.get(c.id);
  const figures = x.own ? x.own.get(c.id) : s;
  const leads = Object.fromEntries(LEAD_FIGURES.map((k) => [k, figures?.[k] ?? 0]));
  // A publisher user: its own leads only (no tracking counters, contracts or revenue of the campaign).
  if (x.own) return leads;
  const n = (k: keyof typeof campaignStatistics.$inferSelect) => (s?.[k] as number | undefined) ?? 0;
  const rev = revenue(c, x);
  const pubPayout = mulDecimal(rev, c.defaultPublisherRate / 100);
  const p = x.publishers.get(c.id);
  return {
    ...leads,
    impressions: n("impressions"),
    conversions: n("conversions"),
    lastConversion: isoTs(s?.lastConversionTs ?? null),
    clicks: n("clicks"),
    activePublishers: p?.active ?? 0,
    totalSales: n("totalSalesCents") / 100,
    campaignRevenue: {
      revenue: rev,
      baseCurrencyRevenue: toBase(rev, rate(c, x)),
      publisherPayout: pubPayout,
      baseCurrencyPublisherPayout: toBase(pubPayout, rate(c, x)),
    },
    unsignedContracts: p?.unsigned ?? 0,
  };
}

const catalogueTypes = (ids: (string | number)[]) =>
  [...Object.values(qaJobs), ...Object.values(integrationJobs)]
    .filter((j) => j.catalogueId !== null && ids.includes(j.catalogueId))
    .map((j) => j.type);

export const campaignResource = defineResource<Campaign, Extra>({
  type: "Campaign",
  path: "campaigns",
  title: "Campaign",
  description: "A campaign: contract, allocation, payout, settings and running statistics.",
  table: campaigns,
  id: campaigns.id,
  fields: {
    status: ro("string", (c, x, ctx) => deriveCampaignStatus(c, billable(c, x), ctx.now).status, {
      description: "Active, Inactive, Ended, Paused or Setup Required (derived).",
    }),
    statusReason: ro("string", (c, x, ctx) => {
      const { reason } = deriveCampaignStatus(c, billable(c, x), ctx.now);
      return reason === null ? null : CAMPAIGN_UNAVAILABLE[reason];
    }, {
      description: "Why the campaign takes no leads now, in the words of the publisher API's 403 (\"Campaign is fulfilled\", …); null when it is Active.",
    }),
    id: ro("integer", (c) => c.id),
    name: f("string", (c) => c.name),
    startTs: f("dateTime", (c) => isoTs(c.startTs)),
    endTs: f("dateTime", (c) => isoTs(c.endTs)),
    exposePublisher: f("boolean", (c) => c.exposePublisher),
    exposePublisherSub: f("boolean", (c) => c.exposePublisherSub),
    createdTs: ro("dateTime", (c) => isoTs(c.createdTs)),
    updatedTs: ro("dateTime", (c) => isoTs(c.updatedTs)),
    defaultThresholdScore: f("integer", (c) => c.defaultThresholdScore),
    integrate: f("boolean", (c) => c.integrate),
    callCentre: f("boolean", (c) => c.callCentre),
    welcomeEmail: f("boolean", (c) => c.welcomeEmail),
    doubleOptin: f("boolean", (c) => c.doubleOptin),
    scoreBaseRouting: f("boolean", (c) => c.scoreBaseRouting),
    defaultSaleValue: f("money", (c) => c.defaultSaleValue, terms),
    defaultSaleCurrency: f("string", (c) => c.defaultSaleCurrency, terms),
    advertiser: f({ embed: "Advertiser" }, (c, x) => {
      const a = x.advertisers.get(c.advertiserId);
      return { "@id": iri("advertisers", c.advertiserId), "@type": "Advertiser", id: c.advertiserId, name: a?.name ?? null };
    }),
    accountManager: f({ link: "User" }, (c) => userIri(c.accountManagerId)),
    subcategory: f({ embed: "Subcategory" }, (c, x) =>
      c.subcategoryId === null
        ? null
        : { "@id": iri("subcategories", c.subcategoryId), "@type": "Subcategory", id: c.subcategoryId, name: x.subcategories.get(c.subcategoryId) ?? null },
      { description: "The campaign's vertical (/api/v4/subcategories); written as an IRI or an id, null for none." },
    ),
    country: f({ embed: "Country" }, (c, x) => {
      const country = c.countryId === null ? undefined : x.countries.get(c.countryId);
      return country ? { "@id": iri("countries", country.id), "@type": "Country", id: country.id, name: country.name, iso: country.iso } : null;
    }, { description: "The campaign's country (/api/v4/countries); written as an IRI or an id, null for none." }),
    campaignMarket: f("string", (c) => c.campaignMarket),
    contractValue: f("money", (c) => c.contractValue, terms),
    performanceModel: f("string", (c) => c.performanceModel),
    internalOnly: f("boolean", (c) => c.internalOnly),
    defaultPublisherRate: f("integer", (c) => c.defaultPublisherRate, terms),
    publisherPayoutType: f("string", (c) => c.publisherPayoutType),
    manualScore: f("boolean", (c) => c.manualScore),
    combinedJobScore: ro("integer", (c, x) => x.jobScore.get(c.id) ?? 0, { description: "Sum of the scores of the enabled Processr jobs, a job group's score once in place of its jobs'." }),
    useValueTransforms: f("boolean", (c) => c.useValueTransforms),
    campaignManager: f({ link: "User" }, (c) => userIri(c.campaignManagerId)),
    pauseTs: f("dateTime", (c) => isoTs(c.pauseTs), { description: "Set to pause (PUT), null to resume." }),
    pauseReason: f("string", (c) => c.pauseReason),
    publisherTerms: f("string", (c) => c.publisherTerms),
    sendVoucher: f("boolean", (c) => c.sendVoucher),
    testMode: f("boolean", (c) => c.testMode),
    sendMediakit: f("boolean", (c) => c.sendMediakit),
    conversionRate: f("string", (c) => c.conversionRate),
    currency: f({ embed: "Currency" }, (c, x) => {
      const cur = x.currencies.get(c.currencyId);
      return { "@id": iri("currencies", c.currencyId), "@type": "Currency", id: c.currencyId, name: cur?.name ?? null, symbol: cur?.symbol ?? null, base: cur?.base ?? false, rateToBase: cur?.rateToBase ?? null };
    }),
    baseCurrencyContractValue: ro("money", (c, x) => toBase(c.contractValue, rate(c, x)), terms),
    endTsExtension: f("integer", (c) => c.endTsExtension),
    unavailableCampaignLogic: f("string", (c) => c.unavailableCampaignLogic),
    unavailableCampaignRedirectUrl: f("string", (c) => c.unavailableCampaignRedirectUrl),
    holdPublisherOverDelivery: f("boolean", (c) => c.holdPublisherOverDelivery),
    valueBasedRouting: f("boolean", (c) => c.valueBasedRouting),
    autoSignPublisher: f("boolean", (c) => c.autoSignPublisher),
    variablePublisherPayout: f("boolean", (c) => c.variablePublisherPayout),
    useScheduledDelivery: f("boolean", (c) => c.useScheduledDelivery),
    uncapped: f("boolean", (c) => c.uncapped),
    facebookOfflineEventSetId: f("string", (c) => c.facebookOfflineEventSetId),
    facebookSystemUserAccessToken: f("string", (c) => c.facebookSystemUserAccessToken, { adminOnly: true }),
    leadProcessDelay: f("integer", (c) => c.leadProcessDelay),
    archiveAfterDays: f("integer", (c) => c.archiveAfterDays, {
      description: "Days a lead stays in D1 before the archive takes it (docs/storage.md); null: the enterprise's ARCHIVE_AFTER_DAYS.",
    }),
    apiKey: ro("string", (c) => c.apiKey, { adminOnly: true, description: "Campaign webhook key (admins only)." }),
    leadsRequired: f("integer", (c) => c.leadsRequired),
    payoutAmount: f("money", (c) => c.payoutAmount, terms),
    payout: f("string", (c) => c.payout),
    baseCurrencyPayoutAmount: ro("money", (c, x) => toBase(c.payoutAmount, rate(c, x)), terms),
    notes: f("string", (c) => c.notes, terms),
    signName: f("string", (c) => c.signName, terms),
    signRole: f("string", (c) => c.signRole, terms),
    signTs: f("dateTime", (c) => isoTs(c.signTs), terms),
    signIoNumber: f("string", (c) => c.signIoNumber, terms),
    terms: f("string", (c) => c.terms, terms),
    contractSigned: f("boolean", (c) => c.contractSigned),
    isTemplate: f("boolean", (c) => c.isTemplate, {
      adminOnly: true,
      description: "A template: a blueprint to duplicate from, not shown to publisher users (admins only).",
    }),
    campaignType: ro("integer", (c) => c.campaignType, {
      description: "Convertr's campaign type, 1 Cleansing & Validation to 9 Other, as set by POST /duplicate-campaign (null when not set).",
    }),
    statistics: ro({ embed: "CampaignStatistics" }, statistics, {
      description: "Running totals; for a publisher user, its own lead figures only (no counters, contracts or revenue).",
    }),
    signHash: ro("string", (c, x) => x.signHash.get(c.id) ?? null, terms),
    allowPublisherImportExport: f("boolean", (c) => c.allowPublisherImportExport),
    purchaseOrder: f("string", (c) => c.purchaseOrder, terms),
    referenceNumber: f("string", (c) => c.referenceNumber, terms),
    purchaseOrderFile: ro("string", (c) => purchaseOrderFileUrl(c), {
      ...terms,
      description:
        "Where the uploaded purchase order downloads from (POST multipart/form-data to it to upload, DELETE to remove), or null; admins only.",
    }),
    purchaseOrderFileName: ro("string", (c) => c.purchaseOrderFileName, { ...terms, description: "The uploaded purchase order's file name (admins only)." }),
  },
  filters: [
    exact("id", campaigns.id, intValue),
    exact("name", campaigns.name, stringValue, { many: false }),
    orderFilter({ id: campaigns.id, name: campaigns.name }),
    dateFilter("createdTs", campaigns.createdTs),
    dateFilter("updatedTs", campaigns.updatedTs),
    dateFilter("startTs", campaigns.startTs),
    dateFilter("endTs", campaigns.endTs),
    // Publisher users order by their own figures; orderings on what they do not see are ignored.
    orderFilter({
      "statistics.invalidLeads": statOrder("invalid"),
      "statistics.validLeads": statOrder("valid"),
      "statistics.cautionLeads": statOrder("caution"),
      "statistics.heldLeads": statOrder("held"),
      "statistics.processingLeads": statOrder("processing"),
      "statistics.billableLeads": statOrder("billable"),
      "statistics.impressions": adminOrder(stat("impressions")),
      "statistics.conversions": adminOrder(stat("conversions")),
      "statistics.clicks": adminOrder(stat("clicks")),
    }),
    customFilter([{ variable: "status[]", property: "status" }], (q) => {
      const values = q.all("status[]").map((v) => enumValue(CAMPAIGN_STATUSES)(v, "status[]"));
      return values.length ? inList(statusSql(Date.now()), values) : undefined;
    }),
    orderFilter({
      "advertiser.name": sql`(SELECT a.name FROM advertisers a WHERE a.id = ${campaigns.advertiserId})`,
      startTs: campaigns.startTs,
      endTs: campaigns.endTs,
      "country.id": campaigns.countryId,
      "country.iso": countryIsoSql,
      "statistics.activePublishers": adminOrder(activePublishersSql),
      "statistics.totalSales": adminOrder(stat("total_sales_cents")),
      "statistics.campaignRevenue.revenue": adminOrder(revenueSql),
      "statistics.campaignRevenue.baseCurrencyRevenue": adminOrder(baseRevenueSql),
    }),
    partial("idName", (like, raw) =>
      /^\d{1,15}$/.test(raw) ? sql`(${campaigns.id} = ${Number(raw)} OR ${campaigns.name} LIKE ${like} ESCAPE '\\')` : sql`${campaigns.name} LIKE ${like} ESCAPE '\\'`,
    ),
    exact("campaignProcessrJobs.processrJob.id", (_list, ids) =>
      sql`EXISTS (SELECT 1 FROM campaign_processr_jobs j WHERE j.campaign_id = ${campaigns.id} AND j.type IN ${valueList(catalogueTypes(ids))})`, intValue),
    ownPublisherOnly(
      exact("campaignPublishers.publisher.id", (list) =>
        sql`EXISTS (SELECT 1 FROM campaign_publishers p WHERE p.campaign_id = ${campaigns.id} AND p.publisher_id IN ${list})`, intValue),
    ),
    exact("advertiser.id", campaigns.advertiserId, intValue),
    exact("advertiser.name", (list) => sql`${campaigns.advertiserId} IN (SELECT a.id FROM advertisers a WHERE a.name IN ${list})`, stringValue, { many: false }),
    exact("campaignManager", campaigns.campaignManagerId, intValue, { many: false }),
    exact("accountManager", campaigns.accountManagerId, intValue, { many: false }),
    exact("country.id", campaigns.countryId, intValue),
    exact("country.iso", (list) => sql`${campaigns.countryId} IN (SELECT c.id FROM countries c WHERE c.iso IN ${list})`, isoValue),
  ],
  base: () => sql`${campaigns.deletedTs} IS NULL`,
  scope: (ctx) => onCampaign(ctx, campaigns.id),
  load,
  create: campaignCreate,
  update: campaignUpdate,
  remove: campaignDelete,
});
