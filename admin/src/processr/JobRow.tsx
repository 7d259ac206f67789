import { Button, Checkbox, Switch, TableCell, TableRow, TextField } from "@mui/material";
import { useEffect, useState } from "react";
import { useLeadWrite as useWrite } from "../leads/useLeadWrite";
import { type JobRecord, type JobWrite, updateJob } from "./api";
import { JobGroupNote } from "./JobGroupNote";
import { JobStatisticsCells } from "./JobStatistics";

/**
 * One job of the campaign's Processr, in stage order: enable/disable, score (saved on leaving the
 * field or Enter) and hardfail write at once; Configure opens the job's settings. An HTTP
 * integration also has its own Active setting (Convoso Connect's): the Processr delivers only when
 * both are on, so an enabled job whose Active is off says so beside its switch.
 */
export function JobRow({ job, onConfigure }: { job: JobRecord; onConfigure: (job: JobRecord) => void }) {
  const { busy, error, run } = useWrite();
  const [score, setScore] = useState(String(job.score));
  // The saved score replaces the field's text, except while someone is typing in it.
  const [typing, setTyping] = useState(false);
  useEffect(() => {
    if (!typing) setScore(String(job.score));
  }, [job.score, typing]);
  const save = (data: JobWrite, done: string) => run(() => updateJob(job["@id"], data), done);
  const saveScore = () => {
    if (score !== String(job.score)) void save({ score: Number(score) }, `Score of ${job.label} saved`);
  };
  return (
    <TableRow data-job={job.id} aria-label={job.label}>
      <TableCell>{job.position}</TableCell>
      <TableCell>
        {job.label}
        {job.processrJob.name !== job.label && <><br /><small>{job.processrJob.name}</small></>}
        <JobGroupNote job={job} />
        {error && <div role="alert" style={{ color: "#d32f2f", whiteSpace: "pre-line" }}>{error}</div>}
      </TableCell>
      <TableCell>
        <Switch checked={job.enabled} disabled={busy} slotProps={{ input: { "aria-label": `Enabled: ${job.label}` } }}
          onChange={(e) => save({ enabled: e.target.checked }, `${job.label} ${e.target.checked ? "enabled" : "disabled"}`)} />
        {job.config.active === false && (
          <div role="note" aria-label={`Inactive: ${job.label}`} style={{ fontSize: 12, color: "#ed6c02" }}>
            Active is off in its settings: nothing is delivered
          </div>
        )}
      </TableCell>
      <TableCell>
        <TextField size="small" type="number" value={score} disabled={busy} sx={{ width: 90, minWidth: 90 }}
          slotProps={{ htmlInput: { "aria-label": `Score: ${job.label}`, min: 0, max: 1000 } }}
          onChange={(e) => setScore(e.target.value)} onFocus={() => setTyping(true)}
          onBlur={() => {
            setTyping(false);
            saveScore();
          }} onKeyDown={(e) => e.key === "Enter" && saveScore()} />
      </TableCell>
      <TableCell>
        <Checkbox checked={job.hardfail} disabled={busy} slotProps={{ input: { "aria-label": `Hardfail: ${job.label}` } }}
          onChange={(e) => save({ hardfail: e.target.checked }, `Hardfail of ${job.label} ${e.target.checked ? "on" : "off"}`)} />
      </TableCell>
      <JobStatisticsCells jobId={job.id} />
      <TableCell>
        <Button size="small" onClick={() => onConfigure(job)}>Configure</Button>
      </TableCell>
    </TableRow>
  );
}
