import { Alert, Button, FormControlLabel, MenuItem, Paper, Stack, Switch, TextField, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import { type Adaptor, type AdaptorRow, createAdaptor, listAdaptors } from "./api";
import { AdaptorRowsTable, filledRows } from "./AdaptorRowsTable";

// J: Adaptor ID. A POST integration names a shared adaptor (/api/v4/adaptors), as Convoso requires;
// a new one is created here first (its own write), then chosen. A GET may go without one.

const NONE = "";

/** What the chosen adaptor sends, in one line. */
function summary(a: Adaptor): string {
  if (a.sendAllValues) return "Sends every captured value under its own name.";
  const sent = a.fields.filter((r) => r.mappedTo.trim() !== "").map((r) => `${r.field} → ${r.mappedTo}`);
  return `Sends ${sent.join(", ")}.`;
}

export function AdaptorPicker({ value, onChange, required }: { value: number | null; onChange: (id: number | null) => void; required: boolean }) {
  const [adaptors, setAdaptors] = useState<Adaptor[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [sendAllValues, setSendAllValues] = useState(false);
  const [rows, setRows] = useState<AdaptorRow[]>([{ field: "", mappedTo: "", defaultValue: "" }]);
  const { busy, error, run } = useWrite();

  useEffect(() => {
    listAdaptors().then(setAdaptors, (e: Error) => setLoadError(e.message));
  }, []);

  const create = async () => {
    let created: Adaptor | undefined;
    const ok = await run(async () => {
      created = await createAdaptor({ name, sendAllValues, fields: sendAllValues ? [] : filledRows(rows) });
    }, `Adaptor "${name}" created`);
    if (!ok || !created) return;
    setAdaptors([...(adaptors ?? []), created]);
    onChange(created.id);
    setCreating(false);
  };

  const chosen = adaptors?.find((a) => a.id === value);
  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
        <TextField
          select
          size="small"
          sx={{ flex: 1 }}
          label="J: Adaptor ID"
          required={required}
          value={value === null ? NONE : String(value)}
          helperText={required ? "Required with POST: the field mapping the lead is sent with" : "Optional with GET: without one, the rows below (or every value) go as parameters"}
          onChange={(e) => onChange(e.target.value === NONE ? null : Number(e.target.value))}
        >
          <MenuItem value={NONE}>{required ? "(choose an adaptor)" : "None"}</MenuItem>
          {/* A saved id the list does not hold (e.g. beyond its first page) stays selectable. */}
          {value !== null && adaptors && !chosen && <MenuItem value={String(value)}>Adaptor {value}</MenuItem>}
          {(adaptors ?? []).map((a) => <MenuItem key={a.id} value={String(a.id)}>{`${a.id}: ${a.name}`}</MenuItem>)}
        </TextField>
        {!creating && <Button size="small" onClick={() => setCreating(true)}>New adaptor</Button>}
      </Stack>
      {loadError && <Alert severity="error">{loadError}</Alert>}
      {chosen && <Typography variant="body2" color="text.secondary" data-testid="adaptor-summary">{summary(chosen)}</Typography>}
      {creating && (
        <Paper variant="outlined" sx={{ p: 2 }} aria-label="New adaptor" role="group">
          <Stack spacing={1}>
            <TextField size="small" label="Adaptor name" required value={name} onChange={(e) => setName(e.target.value)} />
            <FormControlLabel label="Send every captured value under its own name" control={<Switch checked={sendAllValues} onChange={(e) => setSendAllValues(e.target.checked)} />} />
            {!sendAllValues && <AdaptorRowsTable label="New adaptor rows" rows={rows} onChange={setRows} />}
            <Stack direction="row" spacing={1}>
              <Button variant="outlined" size="small" disabled={busy} onClick={create}>{busy ? "Creating…" : "Create adaptor"}</Button>
              <Button size="small" onClick={() => setCreating(false)}>Cancel</Button>
            </Stack>
            {error && <Alert severity="error" sx={{ whiteSpace: "pre-line" }}>{error}</Alert>}
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
