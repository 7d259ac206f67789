import { campaigns } from "../campaigns";
import { PublisherCampaignList } from "./PublisherCampaignList";
import { PublisherCampaignShow } from "./PublisherCampaignShow";
import { byRole } from "./role";

/**
 * The campaigns resource for both roles: a publisher user gets its own list and page (with the
 * Tracking → API Credentials window) and no edit screen (the API refuses its writes).
 */
export const campaignsByRole = {
  ...campaigns,
  list: byRole(campaigns.list, PublisherCampaignList),
  show: byRole(campaigns.show, PublisherCampaignShow),
  edit: byRole(campaigns.edit, PublisherCampaignShow),
};
