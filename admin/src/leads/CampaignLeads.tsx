import { Alert } from "@mui/material";
import { useGetOne, useParams } from "react-admin";
import { apiMessage } from "../api/errors";
import { LeadList } from "./LeadList";

/** /campaigns/{id}/leads: one campaign's leads, at the address Convertr's platform gives them. */
export function CampaignLeads() {
  const campaignId = Number(useParams().campaignId);
  const valid = Number.isSafeInteger(campaignId) && campaignId > 0;
  const { data: campaign, error } = useGetOne<{ id: string; name: string }>("campaigns", { id: `/api/v4/campaigns/${campaignId}` }, { enabled: valid });
  if (!valid) return <Alert severity="error">Not a campaign id.</Alert>;
  if (error) return <Alert severity="error">{apiMessage(error)}</Alert>;
  return <LeadList key={campaignId} campaignId={campaignId} title={campaign ? `Leads — ${campaign.name}` : "Leads"} />;
}
