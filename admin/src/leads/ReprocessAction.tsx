import { Button, CircularProgress } from "@mui/material";
import { reprocessLead } from "./api";
import type { LeadRecord } from "./types";
import { useLeadWrite } from "./useLeadWrite";

/** Runs the campaign's Processr jobs on the lead again (POST /api/v4/leads/{id}/reprocess). */
export function ReprocessAction({ lead }: { lead: LeadRecord }) {
  const { busy, run } = useLeadWrite();
  return (
    <Button disabled={busy} onClick={() => run(() => reprocessLead(lead.id), "Lead queued for reprocessing")}
      startIcon={busy ? <CircularProgress size={16} /> : undefined}>
      Reprocess
    </Button>
  );
}
