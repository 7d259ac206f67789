import { TableCell } from "@mui/material";
import { useQuery } from "@tanstack/react-query";
import { jobStatistics } from "./api";

/** A job's Total / Passed / Failed cells: the counts of its results (processr-job-leads). */
export function JobStatisticsCells({ jobId }: { jobId: number }) {
  const { data, error } = useQuery({ queryKey: ["processr", "job-statistics", jobId], queryFn: () => jobStatistics(jobId) });
  if (error) return <TableCell colSpan={3} sx={{ color: "error.main" }}>{error.message}</TableCell>;
  const cell = (key: "total" | "passed" | "failed") => (
    <TableCell align="right" data-stat={key}>{data ? data[key] : "…"}</TableCell>
  );
  return <>{cell("total")}{cell("passed")}{cell("failed")}</>;
}
