import { sql } from "drizzle-orm";
import { campaignStatistics, leadStatisticsChronologies } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { badFilter, exact, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { campaignLive, onCampaign } from "./access";

// GET /api/v4/statistics (one per campaign; its id is the campaign id) and
// /api/v4/lead-statistics-chronologies (per campaign and UTC day), for the Associated Campaigns tab.

type Stat = typeof campaignStatistics.$inferSelect;
const n = (k: keyof Stat) => field<Stat>("integer", (s) => s[k]);

export const statisticsResource = defineResource<Stat>({
  type: "Statistics",
  path: "statistics",
  title: "Statistics",
  description: "Running lead totals of a campaign (the item id is the campaign id).",
  table: campaignStatistics,
  id: campaignStatistics.campaignId,
  idOf: (s) => s.campaignId,
  fields: {
    id: field("integer", (s) => s.campaignId),
    campaign: field({ link: "Campaign" }, (s) => iri("campaigns", s.campaignId)),
    totalLeads: n("totalLeads"),
    validLeads: n("validLeads"),
    cautionLeads: n("cautionLeads"),
    invalidLeads: n("invalidLeads"),
    testLeads: n("testLeads"),
    billableLeads: n("billableLeads"),
    deliveredLeads: n("deliveredLeads"),
    heldLeads: n("heldLeads"),
    processingLeads: n("processingLeads"),
    impressions: n("impressions"),
    conversions: n("conversions"),
    clicks: n("clicks"),
    lastConversion: field("dateTime", (s) => isoTs(s.lastConversionTs)),
  },
  filters: [
    exact("campaign.id", campaignStatistics.campaignId, intValue),
    orderFilter({ totalLeads: campaignStatistics.totalLeads, validLeads: campaignStatistics.validLeads }),
  ],
  base: () => campaignLive(campaignStatistics.campaignId),
  scope: (ctx) => onCampaign(ctx, campaignStatistics.campaignId),
});

type Day = typeof leadStatisticsChronologies.$inferSelect;
const t = leadStatisticsChronologies;
// A numeric id from the composite key: campaign id × 100000 + days since 1970-01-01.
const DAY_FACTOR = 100_000;
const epochDay = (day: string) => Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
const dn = (k: keyof Day) => field<Day>("integer", (s) => s[k]);

export const chronologyResource = defineResource<Day>({
  type: "LeadStatisticsChronology",
  path: "lead-statistics-chronologies",
  title: "LeadStatisticsChronology",
  description: "Lead totals of a campaign for one UTC day (id = campaign id × 100000 + days since 1970-01-01).",
  table: t,
  id: sql`(${t.campaignId} * ${DAY_FACTOR} + CAST(julianday(${t.day}) - 2440587.5 AS INTEGER))`,
  idOf: (d) => d.campaignId * DAY_FACTOR + epochDay(d.day),
  fields: {
    campaign: field({ link: "Campaign" }, (d) => iri("campaigns", d.campaignId)),
    day: field("string", (d) => d.day, { description: "YYYY-MM-DD (UTC)" }),
    totalLeads: dn("totalLeads"),
    validLeads: dn("validLeads"),
    cautionLeads: dn("cautionLeads"),
    invalidLeads: dn("invalidLeads"),
    testLeads: dn("testLeads"),
    billableLeads: dn("billableLeads"),
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
  scope: (ctx) => onCampaign(ctx, t.campaignId),
});
