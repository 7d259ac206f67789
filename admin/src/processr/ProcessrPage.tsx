import { Alert, Box, Button, Card, Tab, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Tabs, Typography } from "@mui/material";
import AddIcon from "@mui/icons-material/Add";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Title, useParams } from "react-admin";
import { getJsonLd } from "../api/dataProvider";
import { INTEGRATION_WINDOWS } from "../integrations";
import { campaignJobs, type JobRecord, jobTypes } from "./api";
import { JobDialog } from "./JobDialog";
import { JobRow } from "./JobRow";

// /campaigns/{id}/processr: the campaign's Processr, QA jobs and integrations each in stage order,
// with Add Job, each job's switches and score, its result counts and its settings.

type Kind = "qa" | "integration";
/** What is open: Add Job, a job's settings, or an integration's own window (new or saved). */
type Open = { what: "add" } | { what: "settings"; jobId: number } | { what: "window"; type: string; jobId?: number } | null;

export function ProcessrPage() {
  const campaignId = Number(useParams().campaignId);
  const [kind, setKind] = useState<Kind>("qa");
  const [open, setOpen] = useState<Open>(null);
  const campaign = useQuery({ queryKey: ["processr", "campaign", campaignId], queryFn: () => getJsonLd<{ name: string }>(`/api/v4/campaigns/${campaignId}`) });
  const jobs = useQuery({ queryKey: ["processr", "jobs", campaignId], queryFn: () => campaignJobs(campaignId) });
  const types = useQuery({ queryKey: ["processr", "types"], queryFn: jobTypes });
  const error = campaign.error ?? jobs.error ?? types.error;
  if (error) return <Alert severity="error">{error.message}</Alert>;

  const shown = (jobs.data?.member ?? []).filter((j) => (j.processrJob.kind ?? "qa") === kind);
  const job = (id?: number) => jobs.data?.member.find((j) => j.id === id);
  const configure = (j: JobRecord) =>
    setOpen(INTEGRATION_WINDOWS.has(j.type) ? { what: "window", type: j.type, jobId: j.id } : { what: "settings", jobId: j.id });
  const close = () => setOpen(null);
  const Window = open?.what === "window" ? INTEGRATION_WINDOWS.get(open.type) : undefined;
  const editing = open?.what === "settings" ? job(open.jobId) : undefined;

  return (
    <Card sx={{ mt: 2, p: 2 }}>
      <Title title={`Processr — ${campaign.data?.name ?? "…"}`} />
      <Typography variant="h5">Processr</Typography>
      <Box sx={{ display: "flex", alignItems: "center", justifyContent: "space-between" }}>
        <Tabs value={kind} onChange={(_, v) => setKind(v)}>
          <Tab value="qa" label="QA" />
          <Tab value="integration" label="Integration" />
        </Tabs>
        <Button variant="contained" startIcon={<AddIcon />} disabled={!types.data} onClick={() => setOpen({ what: "add" })}>Add Job</Button>
      </Box>
      {/* Scrolls sideways on its own on a narrow screen (the card would clip it). */}
      <TableContainer>
        <Table size="small" aria-label={kind === "qa" ? "QA jobs" : "Integration jobs"}>
          <TableHead>
            <TableRow>
              <TableCell>Stage</TableCell><TableCell>Job</TableCell><TableCell>Enabled</TableCell><TableCell>Score</TableCell><TableCell>Hardfail</TableCell>
              <TableCell align="right">Total</TableCell><TableCell align="right">Passed</TableCell><TableCell align="right">Failed</TableCell><TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {shown.map((j) => <JobRow key={j.id} job={j} onConfigure={configure} />)}
            {jobs.data && shown.length === 0 && <TableRow><TableCell colSpan={9}>No {kind === "qa" ? "QA jobs" : "integrations"} yet.</TableCell></TableRow>}
            {jobs.isPending && <TableRow><TableCell colSpan={9}>Loading…</TableCell></TableRow>}
          </TableBody>
        </Table>
      </TableContainer>
      {(open?.what === "add" || editing) && types.data && (
        <JobDialog key={editing?.id ?? "add"} campaignId={campaignId} job={editing} onClose={close}
          types={types.data.member.filter((t) => t.kind === (editing?.processrJob.kind ?? kind))}
          hasOwnWindow={(t) => INTEGRATION_WINDOWS.has(t)} onChooseOwnWindow={(t) => setOpen({ what: "window", type: t })} />
      )}
      {Window && open?.what === "window" && <Window campaignId={campaignId} job={job(open.jobId)} onClose={close} />}
    </Card>
  );
}
