import {
  Alert, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, MenuItem, Radio, RadioGroup,
  Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography,
} from "@mui/material";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import { createJob, type JobRecord, updateJob } from "../processr/api";
import { campaignFieldNames, type ConnectDiscovery, discoverConnect, type IntegrationWindowProps } from "./api";
import { count } from "./count";
import { SyncTagsControl } from "./SyncTagsControl";

// Convertr Connect's configuration window, as Convertr's help centre walks it: the client's
// instance and our publisher credentials there, a check that fills the form dropdown (and the
// optional link dropdown) from the client's publisher API, a mapping table of the chosen client
// form's fields with our own fields on the right, Place Sync Tags, and Save.

const CREDENTIALS = [
  ["clientId", "Client ID", "The client instance's OAuth client id"],
  ["clientSecret", "Client secret", "The client instance's OAuth client secret"],
  ["apiKey", "API Key", "Tracking → API Credentials at the client"],
  ["publisherId", "Publisher ID", ""],
  ["campaignId", "Campaign ID", ""],
] as const;
type CredentialName = (typeof CREDENTIALS)[number][0];

/** A select whose empty choice ("None", "— not sent —") says so, rather than showing a blank field. */
const SHOW_EMPTY = { select: { displayEmpty: true }, inputLabel: { shrink: true } } as const;

const text = (v: unknown) => (v === undefined || v === null ? "" : String(v));

export function ConvertrConnectDialog({ campaignId, job: given, onClose }: IntegrationWindowProps) {
  // Placing sync tags on a new integration saves it first; it is then the saved one.
  const [saved, setSaved] = useState<JobRecord | undefined>(given);
  const job = given ?? saved;
  const config = job?.config ?? {};
  const [instance, setInstance] = useState<"subdomain" | "enterpriseUrl">(config.enterpriseUrl ? "enterpriseUrl" : "subdomain");
  const [where, setWhere] = useState(text(config.enterpriseUrl ?? config.subdomain));
  const [creds, setCreds] = useState<Record<CredentialName, string>>(() => ({
    clientId: text(config.clientId), clientSecret: text(config.clientSecret), apiKey: text(config.apiKey),
    publisherId: text(config.publisherId), campaignId: text(config.campaignId),
  }));
  const [found, setFound] = useState<ConnectDiscovery | null>(null);
  const [checking, setChecking] = useState(false);
  const [checkError, setCheckError] = useState<string | null>(null);
  const [formId, setFormId] = useState(text(config.formId));
  const [linkId, setLinkId] = useState(text(config.linkId));
  const [mapping, setMapping] = useState<Record<string, string>>((config.mapping as Record<string, string> | undefined) ?? {});
  const { busy, error, run } = useWrite();
  const ownFields = useQuery({ queryKey: ["processr", "campaign-fields", campaignId], queryFn: () => campaignFieldNames(campaignId) });

  const target = () => ({
    [instance]: where.trim(),
    clientId: creds.clientId.trim(),
    clientSecret: creds.clientSecret.trim(),
    apiKey: creds.apiKey.trim(),
    publisherId: Number(creds.publisherId),
    campaignId: Number(creds.campaignId),
  });
  const check = async () => {
    setChecking(true);
    setCheckError(null);
    try {
      setFound(await discoverConnect(target()));
    } catch (e) {
      setFound(null);
      setCheckError((e as Error).message);
    } finally {
      setChecking(false);
    }
  };
  // A saved integration shows its dropdowns and mapping at once: its credentials are checked on opening.
  useEffect(() => {
    if (job) void check();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job?.id]);

  const form = found?.forms.find((f) => String(f.formId) === formId);
  const configToSave = () => ({
    ...target(),
    formId: Number(formId),
    linkId: linkId === "" ? null : Number(linkId),
    mapping: Object.fromEntries(Object.entries(mapping).filter(([k, v]) => v !== "" && form?.fields.some((f) => f.name === k))),
    // Tags are placed by their own action (Place Sync Tags), never implicitly by a save.
    syncTags: config.syncTags === true,
  });
  const write = async (): Promise<JobRecord | null> => {
    const data = { label: job?.label ?? `Convertr Connect: ${form?.formName ?? "client"}`, config: configToSave() };
    let written: JobRecord | null = null;
    await run(async () => {
      written = job ? await updateJob(job["@id"], data) : await createJob(campaignId, "convertr_connect", data);
    }, "Convertr Connect saved");
    if (written) setSaved(written);
    return written;
  };
  const save = async () => {
    if (await write()) onClose();
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-label="Convertr Connect">
      <DialogTitle>{job?.label ?? "Convertr Connect"}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          {form && <SyncTagsControl job={job} available={found?.syncTags} ensureSaved={write} />}
          <RadioGroup row value={instance} onChange={(e) => setInstance(e.target.value as typeof instance)}>
            <FormControlLabel value="subdomain" control={<Radio />} label="Subdomain ({subdomain}.cvtr.io)" />
            <FormControlLabel value="enterpriseUrl" control={<Radio />} label="Base URL (self-hosted)" />
          </RadioGroup>
          <TextField size="small" required label={instance === "subdomain" ? "Subdomain" : "Base URL"} value={where} onChange={(e) => setWhere(e.target.value)} />
          <Stack direction="row" spacing={2} useFlexGap sx={{ flexWrap: "wrap" }}>
            {CREDENTIALS.map(([name, label, help]) => (
              <TextField key={name} size="small" required label={label} helperText={help} value={creds[name]}
                type={name === "clientSecret" ? "password" : "text"} sx={{ flex: "1 1 280px" }}
                onChange={(e) => setCreds({ ...creds, [name]: e.target.value })} />
            ))}
          </Stack>
          <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
            <Button variant="outlined" onClick={check} disabled={checking}>Check credentials</Button>
            {checking && <CircularProgress size={20} aria-label="Checking" />}
            {found && !checking && <Typography color="success.main">Credentials valid: {count(found.forms.length, "form")} at {found.baseUrl}</Typography>}
          </Stack>
          {checkError && <Alert severity="error" sx={{ whiteSpace: "pre-line" }}>{checkError}</Alert>}
          {found && (
            <Stack direction="row" spacing={2}>
              <TextField select size="small" label="Form" value={formId} sx={{ flex: 1 }} onChange={(e) => setFormId(e.target.value)}>
                {found.forms.map((f) => <MenuItem key={f.formId} value={String(f.formId)}>{f.formName} ({f.formId})</MenuItem>)}
              </TextField>
              <TextField select size="small" label="Link (optional)" value={linkId} sx={{ flex: 1 }} slotProps={SHOW_EMPTY} onChange={(e) => setLinkId(e.target.value)}>
                <MenuItem value="">None</MenuItem>
                {found.links.map((l) => <MenuItem key={l.id} value={String(l.id)}>{l.name} ({l.channel})</MenuItem>)}
              </TextField>
            </Stack>
          )}
          {form && (
            <Table size="small" aria-label="Mapping">
              <TableHead>
                <TableRow><TableCell>Client field</TableCell><TableCell>Your field</TableCell></TableRow>
              </TableHead>
              <TableBody>
                {form.fields.map((f) => (
                  <TableRow key={f.name}>
                    <TableCell>{f.name}</TableCell>
                    <TableCell>
                      <TextField select size="small" fullWidth value={Object.hasOwn(mapping, f.name) ? mapping[f.name] : ""} slotProps={{ ...SHOW_EMPTY, htmlInput: { "aria-label": `Map ${f.name}` } }}
                        onChange={(e) => setMapping({ ...mapping, [f.name]: e.target.value })}>
                        <MenuItem value="">— not sent —</MenuItem>
                        {(ownFields.data ?? []).map((n) => <MenuItem key={n} value={n}>{n}</MenuItem>)}
                      </TextField>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {error && <Alert severity="error" sx={{ whiteSpace: "pre-line" }}>{error}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button variant="contained" disabled={!form || busy} onClick={save}>{busy ? "Saving…" : "Save"}</Button>
      </DialogActions>
    </Dialog>
  );
}
