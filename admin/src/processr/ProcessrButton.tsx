import ProcessrIcon from "@mui/icons-material/AccountTree";
import { CampaignPageButton } from "../campaigns/CampaignPageButton";

/** Campaign > Processr: from a campaign's page to its jobs and integrations (/campaigns/{id}/processr). */
export const ProcessrButton = () => <CampaignPageButton page="processr" label="Processr" icon={<ProcessrIcon />} />;
