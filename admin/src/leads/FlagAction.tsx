import {
  Alert, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField as MuiTextField,
} from "@mui/material";
import { useState } from "react";
import { changeFlag } from "./api";
import { FLAGS, type LeadRecord } from "./types";
import { useLeadWrite } from "./useLeadWrite";

// Change the lead's flag to Valid, Invalid or Test with a reason (PATCH /api/v4/leads/{id}); the
// lead object decides whether the change is allowed and says why not, which is shown as it is.
const CHOICES = FLAGS.filter((f) => f.name !== "Caution");

export function FlagAction({ lead }: { lead: LeadRecord }) {
  const [open, setOpen] = useState(false);
  const [flagId, setFlagId] = useState(2);
  const [reason, setReason] = useState("");
  const { busy, error, run, clearError } = useLeadWrite();
  const start = () => {
    clearError();
    setReason("");
    setOpen(true);
  };
  const save = async () => {
    const name = CHOICES.find((f) => f.id === flagId)!.name;
    if (await run(() => changeFlag(lead.id, flagId, reason), `Lead flagged ${name}`)) setOpen(false);
  };
  return (
    <>
      <Button onClick={start}>Change flag</Button>
      <Dialog open={open} onClose={() => !busy && setOpen(false)} aria-labelledby="flag-title">
        <DialogTitle id="flag-title">Change the flag of lead {lead.originId}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1, minWidth: 360 }}>
            <MuiTextField select label="New flag" value={flagId} onChange={(e) => setFlagId(Number(e.target.value))}>
              {CHOICES.map((f) => <MenuItem key={f.id} value={f.id}>{f.name}</MenuItem>)}
            </MuiTextField>
            <MuiTextField label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} multiline minRows={2} required />
            {error && <Alert severity="error">{error}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)} disabled={busy}>Cancel</Button>
          <Button variant="contained" onClick={save} disabled={busy}
            startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}>
            Save flag
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
