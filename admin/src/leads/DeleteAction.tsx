import { Button } from "@mui/material";
import { useState } from "react";
import { Confirm } from "react-admin";
import { deleteLead } from "./api";
import type { LeadRecord } from "./types";
import { useLeadWrite } from "./useLeadWrite";

/** Deletes the lead (soft: it leaves every list and count) after a confirmation, then closes the dialog. */
export function DeleteAction({ lead, onDeleted }: { lead: LeadRecord; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, run } = useLeadWrite();
  const confirm = async () => {
    const deleted = await run(() => deleteLead(lead.id), "Lead deleted");
    setConfirming(false);
    if (deleted) onDeleted();
  };
  return (
    <>
      <Button color="error" onClick={() => setConfirming(true)}>Delete</Button>
      <Confirm isOpen={confirming} loading={busy} title="Delete this lead?"
        content="The lead leaves every list and statistic. Its notes and logs are kept."
        onConfirm={confirm} onClose={() => setConfirming(false)} />
    </>
  );
}
