import { Alert, Box, LinearProgress, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { apiMessage } from "../../api/errors";
import { type BulkJob, readBulkJob } from "./api";

// A bulk job's progress, read from the API every second until no lead is pending, then its
// outcome and the per-lead errors as the API words them.

const POLL_MS = 1000;

export function BulkJobProgress({ started, onDone }: { started: BulkJob; onDone: (job: BulkJob) => void }) {
  const [job, setJob] = useState(started);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (job.status === "done") {
      onDone(job);
      return;
    }
    const timer = setTimeout(() => readBulkJob(job["@id"]).then(setJob, (e) => setError(apiMessage(e))), POLL_MS);
    return () => clearTimeout(timer);
    // onDone is called once, when the job is done; a new callback identity is no reason to call it again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job]);
  const finished = job.done + job.failed;
  const percent = job.total ? (100 * finished) / job.total : 100;
  return (
    <Box aria-label="Bulk job progress">
      <Typography gutterBottom>
        Job {job.id}: {job.status === "done" ? "finished" : "running"} — {finished} of {job.total} lead{job.total === 1 ? "" : "s"} handled,{" "}
        {job.done} done, {job.failed} failed
      </Typography>
      <LinearProgress variant="determinate" value={percent} aria-label="Progress" sx={{ mb: 2 }} />
      {error && <Alert severity="error">{error}</Alert>}
      {job.errors.length > 0 && (
        <Table size="small" aria-label="Failed leads">
          <TableHead>
            <TableRow>
              <TableCell>Lead</TableCell>
              <TableCell>Message</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {job.errors.map((e, i) => (
              <TableRow key={i}>
                <TableCell>{e.lead?.replace("/api/v4/leads/", "") ?? e.input}</TableCell>
                <TableCell>{e.message}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {job.status === "done" && job.failed > job.errors.length && (
        <Typography variant="body2" color="text.secondary">Only the first {job.errors.length} failures are listed.</Typography>
      )}
    </Box>
  );
}
