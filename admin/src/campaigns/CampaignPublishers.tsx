import {
  Alert, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Stack, TextField as MuiTextField,
  Typography,
} from "@mui/material";
import { useState } from "react";
import {
  BooleanField, Datagrid, FunctionField, NumberField, ReferenceManyField, TextField, useNotify, useRecordContext, useRefresh,
} from "react-admin";
import { httpClient } from "../api/dataProvider";
import { apiMessage } from "../api/errors";
import { useApiUpdate } from "../api/useApiUpdate";

// A campaign's publishers: allocation (cap), contract signed, and the API key, which is shown in
// full only once, right after it is rotated.

interface CampaignPublisherRecord {
  id: string;
  cap: number | null;
  signed: boolean;
  apiKey?: string;
  publisher?: { name?: string };
}

const masked = (key?: string) => (key ? `${key.slice(0, 4)}…${key.slice(-2)}` : "");

function EditContractButton() {
  const record = useRecordContext<CampaignPublisherRecord>();
  const { save: update, isPending } = useApiUpdate("campaign-publishers");
  const [open, setOpen] = useState(false);
  const [cap, setCap] = useState("");
  const [signed, setSigned] = useState(false);
  if (!record) return null;
  const start = () => {
    setCap(record.cap === null ? "" : String(record.cap));
    setSigned(record.signed);
    setOpen(true);
  };
  const save = () =>
    update(record, { cap: cap.trim() === "" ? null : Number(cap), signed }, "Publisher contract saved", () => setOpen(false));
  return (
    <>
      <Button size="small" onClick={start}>Edit</Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>{record.publisher?.name ?? "Publisher"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <MuiTextField label="Allocation (billable leads; empty = uncapped)" value={cap} type="number"
              onChange={(e) => setCap(e.target.value)} />
            <FormControlLabel control={<Checkbox checked={signed} onChange={(e) => setSigned(e.target.checked)} />}
              label="Contract signed" />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" onClick={save} disabled={isPending}>Save</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

function RotateKeyButton() {
  const record = useRecordContext<CampaignPublisherRecord>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [newKey, setNewKey] = useState<string | null>(null);
  if (!record) return null;
  const rotate = async () => {
    setBusy(true);
    try {
      const { json } = await httpClient(new URL(`${record.id}/rotate-key`, window.location.origin), { method: "POST" });
      setConfirming(false);
      setNewKey((json as { apiKey: string }).apiKey);
    } catch (e) {
      notify(apiMessage(e), { type: "error" });
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setNewKey(null);
    refresh();
  };
  return (
    <>
      <Button size="small" onClick={() => setConfirming(true)}>Rotate key</Button>
      <Dialog open={confirming} onClose={() => setConfirming(false)}>
        <DialogTitle>Rotate the API key?</DialogTitle>
        <DialogContent>
          <Typography>The current key stops working at once; the publisher needs the new one.</Typography>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button variant="contained" color="warning" onClick={rotate} disabled={busy}>Rotate</Button>
        </DialogActions>
      </Dialog>
      <Dialog open={newKey !== null} onClose={close}>
        <DialogTitle>New API key</DialogTitle>
        <DialogContent>
          <Alert severity="warning" sx={{ mb: 2 }}>Copy it now: it is shown in full only this once.</Alert>
          <MuiTextField value={newKey ?? ""} fullWidth slotProps={{ htmlInput: { readOnly: true, "aria-label": "New API key" } }} />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => void navigator.clipboard?.writeText(newKey ?? "")}>Copy</Button>
          <Button variant="contained" onClick={close}>Done</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

export function CampaignPublishers() {
  return (
    <ReferenceManyField reference="campaign-publishers" target="campaign.id" perPage={25} pagination={undefined}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TextField source="publisher.name" label="Publisher" sortable={false} />
        <FunctionField label="Allocation" render={(r: CampaignPublisherRecord) => (r.cap === null ? "uncapped" : r.cap)} />
        <NumberField source="payoutAmount" label="Payout" />
        <BooleanField source="signed" label="Contract signed" />
        <FunctionField label="API key" render={(r: CampaignPublisherRecord) => masked(r.apiKey)} />
        <EditContractButton />
        <RotateKeyButton />
      </Datagrid>
    </ReferenceManyField>
  );
}
