import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import {
  Alert, Box, Button, Chip, LinearProgress, MenuItem, Stack, TextField, Typography,
} from "@mui/material";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useNotify } from "react-admin";
import { apiMessage } from "../api/errors";
import { apiCredentials } from "./api";
import { leadPostCurl } from "./curl";

// Tracking → API Credentials: what a publisher needs to post leads to this campaign through the
// publisher API (its key, publisher id, campaign id, each form's id and field names) and a curl
// example of the lead POST, built from those values for this enterprise's address. Only an Active
// campaign takes leads (Convertr's campaign statuses): for any other the panel gives the reason the
// v4 Campaign carries, the publisher API's own 403 message, and shows no example that would only earn
// that 403.

/** The campaign as the panel needs it (a v4 Campaign record). */
export interface CredentialsCampaign {
  originId: number;
  status: string;
  statusReason: string | null;
  startTs: string;
}

/** Why a campaign takes no leads now, with the publisher API's answer; null when it takes them. */
function noLeadsNotice(c: CredentialsCampaign): string | null {
  if (c.statusReason === null) return null;
  const refused = `a lead posted to it is refused with 403 "${c.statusReason}"`;
  return c.status === "Inactive"
    ? `This campaign starts on ${new Date(c.startTs).toLocaleString()}: until then ${refused}.`
    : `This campaign (${c.status}) takes no leads now: ${refused}.`;
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const notify = useNotify();
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => notify(`${what} copied`, { type: "success" }),
      (e) => notify(apiMessage(e), { type: "error" }),
    );
  return (
    <Button size="small" startIcon={<ContentCopyIcon />} onClick={copy} aria-label={`Copy ${what}`}>
      Copy
    </Button>
  );
}

function Value({ label, value }: { label: string; value: string }) {
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
      <TextField label={label} value={value} size="small" sx={{ minWidth: 360 }}
        slotProps={{ htmlInput: { readOnly: true, "aria-label": label } }} />
      <CopyButton text={value} what={label} />
    </Stack>
  );
}

export function ApiCredentials({ campaign }: { campaign: CredentialsCampaign }) {
  const campaignId = campaign.originId;
  const { data, error, isPending } = useQuery({
    queryKey: ["publisher", "api-credentials", campaignId],
    queryFn: () => apiCredentials(campaignId),
  });
  const [chosenForm, setChosenForm] = useState<number | null>(null);
  if (isPending) return <LinearProgress aria-label="Loading" />;
  if (error) return <Alert severity="error">{apiMessage(error)}</Alert>;
  const { contract, forms } = data;
  if (!contract) return <Alert severity="info">You are not a publisher on this campaign.</Alert>;
  const form = forms.find((f) => f.formId === chosenForm) ?? forms[0];
  const closed = noLeadsNotice(campaign);
  // A campaign yet to start will take leads: its example stays, under the notice.
  const curl = form && (closed === null || campaign.status === "Inactive")
    ? leadPostCurl({
        baseUrl: window.location.origin,
        publisherId: contract.publisher.id,
        formId: form.formId,
        campaignId,
        apiKey: contract.apiKey,
        fields: form.fields,
      })
    : null;
  return (
    <Stack spacing={2} sx={{ py: 1 }} aria-label="API Credentials">
      {closed && <Alert severity="warning" aria-label="Campaign takes no leads">{closed}</Alert>}
      <Value label="API Key" value={contract.apiKey} />
      <Value label="Publisher ID" value={String(contract.publisher.id)} />
      <Value label="Campaign ID" value={String(campaignId)} />
      {form ? (
        <>
          <TextField select label="Form" value={form.formId} size="small" sx={{ maxWidth: 420 }}
            onChange={(e) => setChosenForm(Number(e.target.value))}>
            {forms.map((f) => (
              <MenuItem key={f.formId} value={f.formId}>{`${f.formName} (form ID ${f.formId})`}</MenuItem>
            ))}
          </TextField>
          <Box>
            <Typography variant="subtitle2" gutterBottom>Fields of form {form.formId}</Typography>
            <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1 }} aria-label="Form fields">
              {form.fields.map((f) => <Chip key={f} label={f} size="small" variant="outlined" />)}
            </Stack>
          </Box>
          {curl && <Box>
            <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between" }}>
              <Typography variant="subtitle2">Example: post a lead (form-encoded, as the publisher API documents it)</Typography>
              <CopyButton text={curl} what="curl example" />
            </Stack>
            <Box component="pre" aria-label="curl example"
              sx={{ p: 2, bgcolor: "grey.100", borderRadius: 1, whiteSpace: "pre-wrap", overflowWrap: "anywhere", fontSize: 13, m: 0 }}>
              {curl}
            </Box>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
              A 201 answer carries the new lead's id in <code>data</code>; its result is at
              <code> /api/v2.4/publisher/{contract.publisher.id}/lead-result/&#123;lead_id&#125;</code>. Add
              <code> ?linkId=&#123;link_id&#125;</code> to the address to attribute the lead to one of the campaign's links.
            </Typography>
          </Box>}
        </>
      ) : (
        <Alert severity="info">This campaign has no forms yet.</Alert>
      )}
    </Stack>
  );
}
