import {
  Alert, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, MenuItem, Stack,
  TextField,
} from "@mui/material";
import { useState } from "react";
import { useListContext, useNotify, useRefresh } from "react-admin";
import { apiMessage } from "../../api/errors";
import { type BulkJob, type BulkScope, startBulkJob } from "./api";
import { BulkJobProgress } from "./BulkJobProgress";
import type { BulkOperationDef } from "./operations";

// One bulk operation: its fields, then the job's progress once the API accepted it. The list is
// refreshed when the job is done, and the selection cleared when its dialog is closed.

interface Props {
  op: BulkOperationDef;
  scope: BulkScope;
  /** "3 selected leads", "every lead matching the filter (120)". */
  what: string;
  onClose: () => void;
}

export function BulkDialog({ op, scope, what, onClose }: Props) {
  const notify = useNotify();
  const refresh = useRefresh();
  const { onUnselectItems } = useListContext();
  const [choice, setChoice] = useState<string | number>(op.choice?.options[0]![0] ?? "");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [job, setJob] = useState<BulkJob | null>(null);
  const [finished, setFinished] = useState(false);

  const start = async () => {
    setBusy(true);
    setError(null);
    const fields: Record<string, unknown> = {};
    if (op.choice) fields[op.choice.field] = choice;
    if (op.name === "metadata") {
      if (text.trim()) fields.comment = text;
    } else if (op.reason === "required" || (op.reason === "optional" && text.trim())) fields.reason = text;
    try {
      setJob(await startBulkJob(op.name, scope, fields));
    } catch (e) {
      setError(apiMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const done = (j: BulkJob) => {
    setFinished(true);
    notify(`${op.label}: ${j.done} done, ${j.failed} failed`, { type: j.failed ? "warning" : "success" });
    refresh();
  };
  // A running job goes on without the dialog; the list shows what it changed so far. The selection
  // is cleared on closing a finished job (the bulk bar, and this dialog with it, goes away then).
  const close = () => {
    if (job && !finished) refresh();
    if (finished && "leads" in scope) onUnselectItems();
    onClose();
  };
  const textLabel = op.name === "metadata" ? "Comment" : op.reason === "required" ? "Reason" : "Reason (optional)";
  return (
    <Dialog open onClose={() => !busy && close()} aria-labelledby="bulk-title" fullWidth maxWidth="sm">
      <DialogTitle id="bulk-title">{op.label}: {what}</DialogTitle>
      <DialogContent>
        {job ? (
          <BulkJobProgress started={job} onDone={done} />
        ) : (
          <Stack spacing={2} sx={{ mt: 1 }}>
            <DialogContentText>{op.explain}</DialogContentText>
            {op.choice && (
              <TextField select label={op.choice.label} value={choice} onChange={(e) => setChoice(e.target.value)}>
                {op.choice.options.map(([value, label]) => <MenuItem key={value} value={value}>{label}</MenuItem>)}
              </TextField>
            )}
            {(op.reason !== "none" || op.name === "metadata") && (
              <TextField label={textLabel} value={text} onChange={(e) => setText(e.target.value)} multiline minRows={2}
                required={op.reason === "required"} />
            )}
            {error && <Alert severity="error">{error}</Alert>}
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        {job ? (
          <Button onClick={close}>{finished ? "Close" : "Close (the job goes on)"}</Button>
        ) : (
          <>
            <Button onClick={onClose} disabled={busy}>Cancel</Button>
            <Button variant="contained" color={op.destructive ? "error" : "primary"} onClick={start} disabled={busy}
              startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}>
              {op.label}
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}
