import {
  Alert, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, Stack, TextField,
} from "@mui/material";
import { useState } from "react";
import { useNotify, useRefresh } from "react-admin";
import { apiMessage } from "../api/errors";
import { addEntry, type ValidationListRecord } from "./api";

// Adds one value to a list. On an erasure list the API erases the personal values of every lead
// of that email at once, which cannot be undone: the value is confirmed in a dialog first.

export function EntryAdd({ list }: { list: ValidationListRecord }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [value, setValue] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const add = async () => {
    setConfirming(false);
    setBusy(true);
    setError(null);
    try {
      await addEntry(list, value);
      notify(list.erasure ? `${value} added; that person's leads are being erased` : `${value} added`, { type: "success" });
      setValue("");
      refresh();
    } catch (e) {
      setError(apiMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack spacing={1} sx={{ mb: 2 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }} component="form"
        onSubmit={(e) => { e.preventDefault(); if (list.erasure) setConfirming(true); else add(); }}>
        <TextField size="small" label="New entry" value={value} onChange={(e) => setValue(e.target.value)} sx={{ minWidth: 320 }} />
        <Button type="submit" variant="contained" disabled={busy || !value.trim()}>Add</Button>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      <Dialog open={confirming} onClose={() => setConfirming(false)} aria-labelledby="erase-title">
        <DialogTitle id="erase-title">Erase this person's leads?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            "{list.name}" is an erasure list. Adding <strong>{value}</strong> redacts the personal values (name, email, telephone,
            address and every other captured value) of every existing lead with this email, in every campaign; their ids, flags
            and statistics are kept. This cannot be undone.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button color="error" variant="contained" onClick={add}>Add and erase</Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}
