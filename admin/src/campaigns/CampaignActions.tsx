import { Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField as MuiTextField } from "@mui/material";
import { useState } from "react";
import {
  DeleteWithConfirmButton, EditButton, TopToolbar, useCreatePath, useNotify, useRecordContext, useRedirect,
} from "react-admin";
import { httpClient } from "../api/dataProvider";
import { apiMessage } from "../api/errors";
import { useApiUpdate } from "../api/useApiUpdate";
import { CampaignLeadsButton } from "../leads/CampaignLeadsButton";
import { ProcessrButton } from "../processr/ProcessrButton";

// The campaign's lifecycle actions: pause (with a reason) and resume through PUT pauseTs, duplicate
// through POST …/duplicate, delete (soft, after a confirmation).

interface CampaignRecord {
  id: string;
  name: string;
  status: string;
}

function PauseResumeButton() {
  const record = useRecordContext<CampaignRecord>();
  const { save: update, isPending } = useApiUpdate("campaigns");
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  if (!record) return null;
  const paused = record.status === "Paused";
  const save = (data: Record<string, unknown>, done: string) => update(record, data, done, () => setOpen(false));
  if (paused) {
    return <Button disabled={isPending} onClick={() => save({ pauseTs: null }, "Campaign resumed")}>Resume</Button>;
  }
  return (
    <>
      <Button disabled={isPending} onClick={() => setOpen(true)}>Pause</Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Pause {record.name}</DialogTitle>
        <DialogContent>
          <MuiTextField label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} fullWidth sx={{ mt: 1 }} />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" disabled={isPending}
            onClick={() => save({ pauseTs: new Date().toISOString(), pauseReason: reason || null }, "Campaign paused")}>
            Pause
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

function DuplicateButton() {
  const record = useRecordContext<CampaignRecord>();
  const notify = useNotify();
  const redirect = useRedirect();
  const createPath = useCreatePath();
  const [busy, setBusy] = useState(false);
  if (!record) return null;
  const duplicate = async () => {
    setBusy(true);
    try {
      const { json } = await httpClient(new URL(`${record.id}/duplicate`, window.location.origin), { method: "POST", body: "{}" }); // no options: copy everything
      notify("Campaign duplicated", { type: "success" });
      redirect(createPath({ resource: "campaigns", id: (json as { "@id": string })["@id"], type: "edit" }));
    } catch (e) {
      notify(apiMessage(e), { type: "error" });
    } finally {
      setBusy(false);
    }
  };
  return <Button disabled={busy} onClick={duplicate}>Duplicate</Button>;
}

export function CampaignShowActions() {
  return (
    <TopToolbar>
      <CampaignLeadsButton />
      <ProcessrButton />
      <PauseResumeButton />
      <DuplicateButton />
      <EditButton />
      <DeleteWithConfirmButton mutationMode="pessimistic" confirmTitle="Delete this campaign?"
        confirmContent="The campaign stops taking leads and disappears from lists. Its leads are kept." />
    </TopToolbar>
  );
}
