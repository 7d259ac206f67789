import { Alert, Button, MenuItem, Stack, Switch, FormControlLabel, TextField } from "@mui/material";
import { useState } from "react";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import { createJob, type JobRecord, updateJob } from "../processr/api";
import { AdaptorPicker } from "./AdaptorPicker";
import { AdaptorRowsTable, filledRows } from "./AdaptorRowsTable";
import type { AdaptorRow } from "./api";

// The HTTP integration's General settings, lettered as in Convoso Connect's guide: A name, B API URL,
// C API authentication, D authorization header, E request method, F response data type, G API
// integrator, H delimiter, I response key, J adaptor ID (a shared field mapping, required for POST;
// a GET may list its parameters inline instead).

const SETTINGS = [
  ["name", "A: Name", "For reference only"],
  ["url", "B: API URL", "Leave empty with a HubSpot integrator"],
  ["authQuery", "C: API Authentication", "name=value&name=value, added to the URL"],
  ["headers", "D: Authorization Header", "Content-type: application/json|Authorization: …"],
] as const;
const CHOICES = [
  ["method", "E: Request Method", [["POST", "POST – we post leads to the vendor"], ["GET", "GET – the vendor's answer is written into the lead"]]],
  ["responseType", "F: Response Data Type", [["JSON", "JSON"], ["XML", "XML"], ["TEXT", "TEXT"]]],
  ["integrator", "G: API Integrator", [["none", "None"], ["hubspot_v1", "HubSpot v1"], ["hubspot_v3", "HubSpot v3"]]],
] as const;

/** A choice left empty reads "(default)" (the API's default applies), not a blank field. */
const SHOW_DEFAULT = { select: { displayEmpty: true }, inputLabel: { shrink: true } } as const;

type Text = Record<string, string>;
const TEXT_KEYS = ["name", "url", "authQuery", "headers", "method", "postDataType", "responseType", "integrator", "portalId", "formGuid", "delimiter", "responseKey", "successString"];

export function HttpGeneralTab({ campaignId, job, onSaved }: { campaignId: number; job?: JobRecord; onSaved: (job: JobRecord) => void }) {
  const config = job?.config ?? {};
  const [values, setValues] = useState<Text>(() => Object.fromEntries(TEXT_KEYS.map((k) => [k, config[k] === undefined ? "" : String(config[k])])));
  const [active, setActive] = useState(config.active !== false);
  const [adaptorId, setAdaptorId] = useState<number | null>(typeof config.adaptorId === "number" ? config.adaptorId : null);
  const [rows, setRows] = useState<AdaptorRow[]>(() => ((config.fields as AdaptorRow[] | undefined) ?? []).map((r) => ({ field: r.field, mappedTo: r.mappedTo ?? "", defaultValue: r.defaultValue ?? "" })));
  const { busy, error, run } = useWrite();
  const set = (k: string, v: string) => setValues({ ...values, [k]: v });
  const hubspot = values.integrator !== "" && values.integrator !== "none";
  // Every preset and the default method POST.
  const post = values.method !== "GET";
  const inline = !post && adaptorId === null;

  const save = async () => {
    // Empty settings are left out, so the API applies its own defaults (or the preset's). Without
    // an adaptor a POST is sent as it is, and the API says that one is required.
    const data = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ""));
    const cfg = { ...data, active, ...(adaptorId === null ? {} : { adaptorId }), ...(inline ? { fields: filledRows(rows) } : {}) };
    let saved: JobRecord | undefined;
    const ok = await run(async () => {
      saved = job
        ? await updateJob(job["@id"], { label: values.name || job.label, config: cfg })
        : await createJob(campaignId, "http_integration", { label: values.name || "HTTP integration", config: cfg });
    }, "HTTP integration saved");
    if (ok && saved) onSaved(saved);
  };

  return (
    <Stack spacing={2} sx={{ mt: 2 }}>
      {/* The Processr delivers only when this Active and the job's Enabled switch (Processr list) are both on. */}
      {job && !job.enabled && (
        <Alert severity="warning">
          This job is disabled in the campaign's Processr list: nothing is delivered, whatever Active says, until it is enabled there.
        </Alert>
      )}
      {SETTINGS.map(([k, label, help]) => (
        <TextField key={k} size="small" label={label} helperText={help} value={values[k]} required={k === "name"} onChange={(e) => set(k, e.target.value)} />
      ))}
      <Stack direction="row" spacing={2}>
        {CHOICES.map(([k, label, options]) => (
          <TextField key={k} select size="small" label={label} value={values[k]} sx={{ flex: 1 }} slotProps={SHOW_DEFAULT} onChange={(e) => set(k, e.target.value)}>
            <MenuItem value="">(default)</MenuItem>
            {options.map(([v, l]) => <MenuItem key={v} value={v}>{l}</MenuItem>)}
          </TextField>
        ))}
        {values.method !== "GET" && (
          <TextField select size="small" label="Post data type" value={values.postDataType} sx={{ flex: 1 }} slotProps={SHOW_DEFAULT} onChange={(e) => set("postDataType", e.target.value)}>
            <MenuItem value="">(default)</MenuItem>
            <MenuItem value="RAW">RAW (url-encoded)</MenuItem>
            <MenuItem value="JSON">JSON</MenuItem>
          </TextField>
        )}
      </Stack>
      {hubspot && (
        <Stack direction="row" spacing={2}>
          <TextField size="small" label="HubSpot portal id" value={values.portalId} sx={{ flex: 1 }} onChange={(e) => set("portalId", e.target.value)} />
          <TextField size="small" label="HubSpot form GUID" value={values.formGuid} sx={{ flex: 1 }} onChange={(e) => set("formGuid", e.target.value)} />
        </Stack>
      )}
      <Stack direction="row" spacing={2}>
        <TextField size="small" label="H: Delimiter" value={values.delimiter} sx={{ flex: 1 }} onChange={(e) => set("delimiter", e.target.value)} />
        <TextField size="small" label="I: Response Key" value={values.responseKey} sx={{ flex: 1 }} onChange={(e) => set("responseKey", e.target.value)} />
        <TextField size="small" label="Success string" value={values.successString} sx={{ flex: 1 }} onChange={(e) => set("successString", e.target.value)} />
      </Stack>
      <AdaptorPicker value={adaptorId} onChange={setAdaptorId} required={post} />
      {inline && <AdaptorRowsTable label="J: Inline parameters" rows={rows} onChange={setRows} />}
      <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
        <FormControlLabel label={active ? "Active" : "Active (off: nothing is delivered)"}
          control={<Switch checked={active} slotProps={{ input: { "aria-label": "Active" } }} onChange={(e) => setActive(e.target.checked)} />} />
        <Button variant="contained" disabled={busy} onClick={save}>{busy ? "Saving…" : "Save HTTP Integration"}</Button>
      </Stack>
      {error && <Alert severity="error" sx={{ whiteSpace: "pre-line" }}>{error}</Alert>}
    </Stack>
  );
}
