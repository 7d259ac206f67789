import { Alert, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, MenuItem, Stack, TextField } from "@mui/material";
import { useState } from "react";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import { createJob, type JobRecord, type JobType, updateJob } from "./api";
import { configOf, type Draft, draftOf, SchemaForm } from "./SchemaForm";

/**
 * Add Job (a type chosen from the API's job types, its settings form generated from that type's
 * config schema) or a job's settings. An integration with its own configuration window (Convertr
 * Connect, the HTTP integration) is handed to it once chosen, as Convertr's Add Job does.
 */
export function JobDialog({ types, job, onClose, onChooseOwnWindow, campaignId, hasOwnWindow }: {
  campaignId: number;
  types: JobType[];
  job?: JobRecord;
  onClose: () => void;
  hasOwnWindow: (type: string) => boolean;
  onChooseOwnWindow: (type: string) => void;
}) {
  const { busy, error, run } = useWrite();
  const [type, setType] = useState(job?.type ?? "");
  const chosen = types.find((t) => t.type === type);
  const [label, setLabel] = useState(job?.label ?? "");
  const [score, setScore] = useState(String(job?.score ?? 0));
  const [hardfail, setHardfail] = useState(job?.hardfail ?? false);
  const [draft, setDraft] = useState<Draft>(() => (chosen ? draftOf(chosen.configSchema, job?.config) : {}));
  const [formError, setFormError] = useState<string | null>(null);

  const choose = (t: string) => {
    if (hasOwnWindow(t)) return onChooseOwnWindow(t);
    const def = types.find((x) => x.type === t)!;
    setType(t);
    setLabel(def.name);
    setDraft(draftOf(def.configSchema));
  };
  const save = async () => {
    if (!chosen) return;
    const built = configOf(chosen.configSchema, draft);
    if ("error" in built) return setFormError(built.error);
    setFormError(null);
    const data = { label, score: Number(score), hardfail, config: built.config };
    const ok = await run(() => (job ? updateJob(job["@id"], data) : createJob(campaignId, type, data)), job ? `${label} saved` : `${label} added`);
    if (ok) onClose();
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{job ? job.label : "Add Job"}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField select label="Job type" value={type} disabled={!!job} size="small" onChange={(e) => choose(e.target.value)}>
            {types.map((t) => <MenuItem key={t.type} value={t.type}>{t.name}</MenuItem>)}
          </TextField>
          {chosen && (
            <>
              <TextField label="Label" value={label} size="small" required onChange={(e) => setLabel(e.target.value)} />
              <Stack direction="row" spacing={2}>
                <TextField label="Score" type="number" size="small" value={score} onChange={(e) => setScore(e.target.value)} />
                <FormControlLabel label="Hardfail" control={<Checkbox checked={hardfail} onChange={(e) => setHardfail(e.target.checked)} />} />
              </Stack>
              <SchemaForm schema={chosen.configSchema} draft={draft} onChange={setDraft} />
            </>
          )}
          {(formError ?? error) && <Alert severity="error" sx={{ whiteSpace: "pre-line" }}>{formError ?? error}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!chosen || busy} onClick={save}>{busy ? "Saving…" : "Save"}</Button>
      </DialogActions>
    </Dialog>
  );
}
