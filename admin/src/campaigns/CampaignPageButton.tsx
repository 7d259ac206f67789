import type { ReactElement } from "react";
import { Button, Link, useRecordContext } from "react-admin";

/** A link from a campaign's page to one of its sub-pages (/campaigns/{id}/{page}). */
export function CampaignPageButton({ page, label, icon }: { page: string; label: string; icon: ReactElement }) {
  const campaign = useRecordContext<{ originId: number }>();
  if (!campaign) return null;
  return (
    <Button component={Link} to={`/campaigns/${campaign.originId}/${page}`} label={label}>
      {icon}
    </Button>
  );
}
