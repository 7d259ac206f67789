import { Alert, Button, CircularProgress, Stack, TextField, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import type { JobRecord } from "../processr/api";
import { latestLeadId, type TestResult, testIntegration } from "./api";

/** Test: runs the saved integration once for a lead (the campaign's newest, filled in) and says where the result is. */
export function HttpTestSection({ campaignId, job }: { campaignId: number; job: JobRecord }) {
  const [leadId, setLeadId] = useState("");
  const [result, setResult] = useState<TestResult | null>(null);
  const { busy, error, run } = useWrite();
  useEffect(() => {
    latestLeadId(campaignId).then((id) => setLeadId((current) => current || (id === null ? "" : String(id))), () => undefined);
  }, [campaignId]);
  const test = () => run(async () => setResult(await testIntegration(job["@id"], Number(leadId))), "Check result on the Logs tab");
  return (
    <Stack spacing={2} sx={{ mt: 3 }} aria-label="Test HTTP Integration">
      <Typography variant="h6">Test HTTP Integration</Typography>
      <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
        <TextField size="small" label="Lead ID" value={leadId} onChange={(e) => setLeadId(e.target.value)} helperText="The campaign's newest lead" />
        <Button variant="outlined" disabled={busy || leadId === ""} onClick={test}>Test HTTP Integration</Button>
        {busy && <CircularProgress size={20} aria-label="Testing" />}
      </Stack>
      {result && (
        <Alert severity={result.outcome === "delivered" ? "success" : "warning"}>
          Check result on the Logs tab. {result.outcome}{result.statusCode === null ? "" : ` (HTTP ${result.statusCode})`}: {result.message}
        </Alert>
      )}
      {error && <Alert severity="error" sx={{ whiteSpace: "pre-line" }}>{error}</Alert>}
    </Stack>
  );
}
