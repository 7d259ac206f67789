import type { Campaign } from "./schema";

// The status a campaign shows is derived, as Convertr documents it (Convertr's campaign documentation): Setup Required
// (advertiser contract unsigned), Paused (manual), Inactive (before startTs), Ended (allocation
// met, or endTs passed), else Active.
export const CAMPAIGN_STATUSES = ["Active", "Inactive", "Ended", "Paused", "Setup Required"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export type CampaignStatusReason = "setup_required" | "paused" | "not_started" | "fulfilled" | "ended" | null;

export function deriveCampaignStatus(
  campaign: Pick<Campaign, "startTs" | "endTs" | "paused" | "contractSigned" | "leadsRequired" | "uncapped">,
  billableLeads: number,
  now = Date.now(),
): { status: CampaignStatus; reason: CampaignStatusReason } {
  if (!campaign.contractSigned) return { status: "Setup Required", reason: "setup_required" };
  if (campaign.paused) return { status: "Paused", reason: "paused" };
  if (now < campaign.startTs) return { status: "Inactive", reason: "not_started" };
  if (!campaign.uncapped && campaign.leadsRequired > 0 && billableLeads >= campaign.leadsRequired) {
    return { status: "Ended", reason: "fulfilled" };
  }
  if (now > campaign.endTs) return { status: "Ended", reason: "ended" };
  return { status: "Active", reason: null };
}
