import ProcessrIcon from "@mui/icons-material/AccountTree";
import { Button, Link, useRecordContext } from "react-admin";

/** Campaign > Processr: from a campaign's page to its jobs and integrations (/campaigns/{id}/processr). */
export function ProcessrButton() {
  const campaign = useRecordContext<{ originId: number }>();
  if (!campaign) return null;
  return (
    <Button component={Link} to={`/campaigns/${campaign.originId}/processr`} label="Processr">
      <ProcessrIcon />
    </Button>
  );
}
