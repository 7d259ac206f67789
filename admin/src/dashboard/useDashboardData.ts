import { useQuery } from "@tanstack/react-query";
import { getCollection, listQuery } from "../api/dataProvider";

// The dashboard's reads: a page of campaigns, their Statistics items and publisher allocations
// (two calls with `campaign.id[]` filters, not one per campaign), and one campaign's chronology.

export interface CampaignRow {
  "@id": string;
  id: number;
  name: string;
  status: string;
}

export interface Figures {
  totalLeads: number;
  validLeads: number;
  cautionLeads: number;
  invalidLeads: number;
  testLeads: number;
  billableLeads: number;
}

export interface StatisticsItem extends Figures {
  id: number;
}

export interface ChronologyDay extends Figures {
  day: string;
}

interface CampaignPublisherRow {
  campaign: string;
  cap: number | null;
}

/** Allocation of a campaign: the sum of its publishers' caps, or null when one is uncapped (or none). */
export interface Allocation {
  cap: number | null;
  publishers: number;
}

export const PAGE_SIZE = 10;
/** Days of chronology in the chart: the most recent ones. */
export const CHART_DAYS = 90;

export function useCampaignPage(page: number) {
  return useQuery({
    queryKey: ["dashboard", "campaigns", page],
    queryFn: async () => {
      const campaigns = await getCollection<CampaignRow>(`/api/v4/campaigns?order[id]=asc&page=${page}&itemsPerPage=${PAGE_SIZE}`);
      const ids = campaigns.member.map((c) => c.id);
      if (!ids.length) return { campaigns, statistics: new Map<number, StatisticsItem>(), allocations: new Map<string, Allocation>() };
      const [statistics, publishers] = await Promise.all([
        getCollection<StatisticsItem>(`/api/v4/statistics?${listQuery("campaign.id", ids)}&itemsPerPage=${PAGE_SIZE}`),
        allPublishers(ids),
      ]);
      return {
        campaigns,
        statistics: new Map(statistics.member.map((s) => [s.id, s])),
        allocations: allocationsOf(publishers),
      };
    },
  });
}

async function allPublishers(ids: number[]): Promise<CampaignPublisherRow[]> {
  const rows: CampaignPublisherRow[] = [];
  for (let page = 1; ; page++) {
    const { member, totalItems } = await getCollection<CampaignPublisherRow>(
      `/api/v4/campaign-publishers?${listQuery("campaign.id", ids)}&itemsPerPage=100&page=${page}`,
    );
    rows.push(...member);
    if (rows.length >= totalItems || !member.length) return rows;
  }
}

function allocationsOf(rows: CampaignPublisherRow[]) {
  const out = new Map<string, Allocation>();
  for (const r of rows) {
    const a = out.get(r.campaign) ?? { cap: 0, publishers: 0 };
    a.publishers++;
    a.cap = a.cap === null || r.cap === null ? null : a.cap + r.cap;
    out.set(r.campaign, a);
  }
  return out;
}

export function useChronology(campaignId: number | null) {
  return useQuery({
    enabled: campaignId !== null,
    queryKey: ["dashboard", "chronology", campaignId],
    queryFn: async () => {
      const { member } = await getCollection<ChronologyDay>(
        `/api/v4/lead-statistics-chronologies?campaign.id=${campaignId}&order[day]=desc&itemsPerPage=${CHART_DAYS}`,
      );
      return member.reverse();
    },
  });
}
