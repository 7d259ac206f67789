import CloseIcon from "@mui/icons-material/Close";
import EditIcon from "@mui/icons-material/Edit";
import SaveIcon from "@mui/icons-material/Save";
import { Alert, Box, Button, CircularProgress, IconButton, Stack, TextField as MuiTextField, Typography } from "@mui/material";
import { useState } from "react";
import { FunctionField, TextField, useRecordContext } from "react-admin";
import { saveLeadData } from "./api";
import { LeadTable } from "./LeadTable";
import type { LeadDataRecord, LeadRecord } from "./types";
import { useLeadWrite } from "./useLeadWrite";

// Edit Data: the pen on a value opens it for editing and the save icon writes it; "Add" writes a
// new name and value. Both are POST /api/v4/lead-datas, which also records a lead note. Values the
// platform sets (lead hash, IP, …) are not listed (GET /api/v4/lead-editable-fields).

function ValueEditor({ lead }: { lead: LeadRecord }) {
  const field = useRecordContext<LeadDataRecord>();
  const [draft, setDraft] = useState<string | null>(null);
  const { busy, error, run, clearError } = useLeadWrite();
  if (!field) return null;
  if (draft === null) {
    return (
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <span>{field.value}</span>
        <IconButton size="small" aria-label={`Edit ${field.name}`} onClick={() => setDraft(field.value)}><EditIcon fontSize="small" /></IconButton>
      </Stack>
    );
  }
  const save = async () => {
    if (await run(() => saveLeadData(lead.id, field.name, draft), `${field.name} saved`)) setDraft(null);
  };
  return (
    <Stack spacing={0.5}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <MuiTextField size="small" value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus
          slotProps={{ htmlInput: { "aria-label": `New value of ${field.name}` } }}
          onKeyDown={(e) => e.key === "Enter" && void save()} />
        {busy ? <CircularProgress size={20} aria-label="Saving" /> : (
          <IconButton size="small" aria-label={`Save ${field.name}`} onClick={save}><SaveIcon fontSize="small" /></IconButton>
        )}
        <IconButton size="small" aria-label="Cancel" disabled={busy} onClick={() => { setDraft(null); clearError(); }}>
          <CloseIcon fontSize="small" />
        </IconButton>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}

function AddValue({ lead }: { lead: LeadRecord }) {
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const { busy, error, run } = useLeadWrite();
  const add = async () => {
    if (await run(() => saveLeadData(lead.id, name.trim(), value), `${name.trim()} added`)) {
      setName("");
      setValue("");
    }
  };
  return (
    <Box sx={{ mt: 2 }}>
      <Typography variant="subtitle2" gutterBottom>Add a value</Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: "flex-start" }}>
        <MuiTextField size="small" label="New Fieldname" value={name} onChange={(e) => setName(e.target.value)} required />
        <MuiTextField size="small" label="New Value" value={value} onChange={(e) => setValue(e.target.value)} required />
        <Button variant="contained" onClick={add} disabled={busy || !name.trim() || !value}
          startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}>
          Add
        </Button>
      </Stack>
      {error && <Alert severity="error" sx={{ mt: 1 }}>{error}</Alert>}
    </Box>
  );
}

export function EditDataTab({ lead }: { lead: LeadRecord }) {
  return (
    <>
      <LeadTable resource="lead-editable-fields" filter={{ "lead.id": lead.originId }} empty="No editable values.">
        <TextField source="name" label="Field" sortable={false} />
        <FunctionField label="Value" render={() => <ValueEditor lead={lead} />} />
      </LeadTable>
      <AddValue lead={lead} />
    </>
  );
}
