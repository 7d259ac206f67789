import LeadIcon from "@mui/icons-material/PersonSearch";
import { CampaignPageButton } from "../campaigns/CampaignPageButton";

/** Campaign > Leads: from a campaign's page to its leads (/campaigns/{id}/leads). */
export const CampaignLeadsButton = () => <CampaignPageButton page="leads" label="Leads" icon={<LeadIcon />} />;
