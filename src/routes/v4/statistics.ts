import { and, sql } from "drizzle-orm";
import { type Campaign, campaignStatistics, campaigns, leadStatisticsChronologies } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { badFilter, exact, inList, intValue, orderFilter } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { type Bucket, CHRONOLOGY_BUCKETS, recountColumns } from "../../leads/statistics";
import { campaignLive, onCampaign } from "./access";
import { figureKey, type LeadFigures, ownLeads, publisherFigures, statOrder, toFigures } from "./campaign-sql";

// GET /api/v4/statistics (one per campaign; its id is the campaign id) and
// /api/v4/lead-statistics-chronologies (per campaign and UTC day), for the Associated Campaigns tab.
// Admins read the campaign's running totals; a publisher user reads its own figures on the
// campaigns it is on (campaign-sql.ts), never the campaign-wide counts that include other
// publishers' leads, nor the campaign's tracking counters.

type Stat = typeof campaignStatistics.$inferSelect;
interface StatExtra {
  figures: Map<number, LeadFigures>;
  /** The campaign's running totals row (admins only). */
  totals: Map<number, Stat>;
}

const figure = <R, X>(bucket: Bucket, of: (row: R, x: X) => Partial<LeadFigures> | undefined) =>
  field<R, X>("integer", (row, x) => of(row, x)?.[figureKey(bucket)] ?? 0);
const counter = (k: "impressions" | "conversions" | "clicks") =>
  field<Campaign, StatExtra>("integer", (c, x) => x.totals.get(c.id)?.[k] ?? 0, { adminOnly: true, description: "Campaign-wide tracking counter (admins only)." });
const ofCampaign = (c: Campaign, x: StatExtra) => x.figures.get(c.id);

// Every live campaign has a Statistics item (zeros before its first lead), so that its existence
// says nothing about anybody's leads.
export const statisticsResource = defineResource<Campaign, StatExtra>({
  type: "Statistics",
  path: "statistics",
  title: "Statistics",
  description:
    "Lead totals of a campaign (the item id is the campaign id): the running totals for admins, the caller's own leads for publisher users.",
  table: campaigns,
  id: campaigns.id,
  fields: {
    id: field("integer", (c) => c.id),
    campaign: field({ link: "Campaign" }, (c) => iri("campaigns", c.id)),
    totalLeads: figure("total", ofCampaign),
    validLeads: figure("valid", ofCampaign),
    cautionLeads: figure("caution", ofCampaign),
    invalidLeads: figure("invalid", ofCampaign),
    testLeads: figure("test", ofCampaign),
    billableLeads: figure("billable", ofCampaign),
    deliveredLeads: figure("delivered", ofCampaign),
    heldLeads: figure("held", ofCampaign),
    processingLeads: figure("processing", ofCampaign),
    impressions: counter("impressions"),
    conversions: counter("conversions"),
    clicks: counter("clicks"),
    lastConversion: field("dateTime", (c, x) => isoTs(x.totals.get(c.id)?.lastConversionTs ?? null), {
      adminOnly: true,
      nullable: true,
      description: "Campaign-wide (admins only); null before the first conversion.",
    }),
  },
  filters: [exact("campaign.id", campaigns.id, intValue), orderFilter({ totalLeads: statOrder("total"), validLeads: statOrder("valid") })],
  base: () => sql`${campaigns.deletedTs} IS NULL`,
  scope: (ctx) => onCampaign(ctx, campaigns.id),
  async load(ctx, rows) {
    const ids = rows.map((r) => r.id);
    if (!ctx.isAdmin) return { figures: await publisherFigures(ctx, ids), totals: new Map() };
    const totals = await ctx.db.select().from(campaignStatistics).where(inList(campaignStatistics.campaignId, ids));
    const byId = new Map(totals.map((s) => [s.campaignId, s]));
    return { figures: byId, totals: byId };
  },
});

type Day = typeof leadStatisticsChronologies.$inferSelect;
const t = leadStatisticsChronologies;
// A numeric id from the composite key: campaign id × 100000 + days since 1970-01-01.
const DAY_FACTOR = 100_000;
const DAY_MS = 86_400_000;
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);
const epochDay = (day: string) => Math.round(dayStart(day) / DAY_MS);
const dayKey = (campaignId: number, day: string) => `${campaignId}|${day}`;

/** The caller has live leads of its own on the row's campaign and day (an index range probe). */
const ownLeadsThatDay = (ctx: Ctx) => {
  const start = sql`(CAST(strftime('%s', ${t.day}) AS INTEGER) * 1000)`;
  return sql`EXISTS (SELECT 1 FROM ${ownLeads(ctx, t.campaignId)} AND created_ts >= ${start} AND created_ts < ${start} + ${DAY_MS})`;
};

/**
 * The caller's own figures on each (campaign, day) of a page, in one query. CROSS JOIN keeps the
 * page's days as the outer loop (SQLite does not reorder it), so each day is one index range.
 */
async function ownDays(ctx: Ctx, rows: Day[]): Promise<Map<string, LeadFigures>> {
  if (rows.length === 0) return new Map();
  const days = JSON.stringify(rows.map((r) => [r.campaignId, r.day, dayStart(r.day)]));
  const found = await ctx.db.all<{ campaignId: number; day: string } & Record<Bucket, number>>(sql`
    SELECT json_extract(d.value, '$[0]') AS campaignId, json_extract(d.value, '$[1]') AS day, ${sql.raw(recountColumns(CHRONOLOGY_BUCKETS))}
      FROM json_each(${days}) d CROSS JOIN leads
     WHERE publisher_id = ${ctx.publisherId} AND campaign_id = json_extract(d.value, '$[0]') AND deleted_ts IS NULL
       AND created_ts >= json_extract(d.value, '$[2]') AND created_ts < json_extract(d.value, '$[2]') + ${DAY_MS}
     GROUP BY d.key`);
  return new Map(found.map((r) => [dayKey(r.campaignId, r.day), toFigures(r)]));
}

type DayExtra = Map<string, LeadFigures> | undefined;
const ofDay = (d: Day, own: DayExtra) => (own ? own.get(dayKey(d.campaignId, d.day)) : d);

export const chronologyResource = defineResource<Day, DayExtra>({
  type: "LeadStatisticsChronology",
  path: "lead-statistics-chronologies",
  title: "LeadStatisticsChronology",
  description:
    "Lead totals of a campaign for one UTC day (id = campaign id × 100000 + days since 1970-01-01); a publisher user sees the days it captured leads on, with its own figures.",
  table: t,
  id: sql`(${t.campaignId} * ${DAY_FACTOR} + CAST(julianday(${t.day}) - 2440587.5 AS INTEGER))`,
  idOf: (d) => d.campaignId * DAY_FACTOR + epochDay(d.day),
  fields: {
    campaign: field({ link: "Campaign" }, (d) => iri("campaigns", d.campaignId)),
    day: field("string", (d) => d.day, { description: "YYYY-MM-DD (UTC)" }),
    totalLeads: figure("total", ofDay),
    validLeads: figure("valid", ofDay),
    cautionLeads: figure("caution", ofDay),
    invalidLeads: figure("invalid", ofDay),
    testLeads: figure("test", ofDay),
    billableLeads: figure("billable", ofDay),
  },
  filters: [
    exact("campaign.id", t.campaignId, intValue),
    exact("day", t.day, (raw, v) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw badFilter(v, "expected YYYY-MM-DD");
      return raw;
    }),
    orderFilter({ day: t.day }),
  ],
  defaultOrder: [sql`${t.campaignId}`, sql`${t.day}`],
  base: () => campaignLive(t.campaignId),
  // Days on which only other publishers captured leads are not listed (nor counted) for it.
  scope: (ctx) => and(onCampaign(ctx, t.campaignId), ownLeadsThatDay(ctx)),
  load: async (ctx, rows) => (ctx.isAdmin ? undefined : ownDays(ctx, rows)),
});
