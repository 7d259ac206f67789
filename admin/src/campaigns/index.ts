import CampaignIcon from "@mui/icons-material/Campaign";
import { CampaignEdit } from "./CampaignEdit";
import { CampaignList } from "./CampaignList";
import { CampaignShow } from "./CampaignShow";

/** The campaigns resource's screens, registered by App. */
export const campaigns = { name: "campaigns", list: CampaignList, show: CampaignShow, edit: CampaignEdit, icon: CampaignIcon };
