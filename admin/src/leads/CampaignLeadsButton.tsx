import LeadIcon from "@mui/icons-material/PersonSearch";
import { Button, Link, useRecordContext } from "react-admin";

/** Campaign > Leads: from a campaign's page to its leads (/campaigns/{id}/leads). */
export function CampaignLeadsButton() {
  const campaign = useRecordContext<{ originId: number }>();
  if (!campaign) return null;
  return (
    <Button component={Link} to={`/campaigns/${campaign.originId}/leads`} label="Leads">
      <LeadIcon />
    </Button>
  );
}
