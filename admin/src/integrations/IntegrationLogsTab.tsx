import { Alert, Box, Button, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { integrationLogs, type LogRow } from "./api";
import { count } from "./count";

/** What a call came to: its outcome and the vendor's answer (status and body), or the error. */
function result(log: LogRow): string {
  const c = log.context;
  if (!c) return log.level;
  const status = c.response?.status == null ? "no response" : `HTTP ${c.response.status}`;
  return `${c.outcome ?? log.level}: ${status}${c.response?.body ? ` ${c.response.body}` : ""}`;
}

/** Logs: every call this integration made (deliveries and tests), newest first, paged by the API. */
export function IntegrationLogsTab({ jobId }: { jobId: number }) {
  const [page, setPage] = useState(1);
  const { data, error, isPending } = useQuery({ queryKey: ["processr", "integration-logs", jobId, page], queryFn: () => integrationLogs(jobId, page) });
  if (error) return <Alert severity="error">{error.message}</Alert>;
  if (isPending) return <Typography sx={{ mt: 2 }}>Loading…</Typography>;
  const pages = Math.max(1, Math.ceil(data.totalItems / 20));
  return (
    <Box sx={{ mt: 2 }}>
      <Table size="small" aria-label="Integration logs">
        <TableHead>
          <TableRow><TableCell>Time</TableCell><TableCell>Lead</TableCell><TableCell>Call</TableCell><TableCell>Result</TableCell></TableRow>
        </TableHead>
        <TableBody>
          {data.member.map((log) => (
            <TableRow key={log.id}>
              <TableCell sx={{ whiteSpace: "nowrap" }}>{new Date(log.createdTs).toLocaleString()}</TableCell>
              <TableCell>{log.lead ? log.lead.split("/").at(-1) : "—"}</TableCell>
              <TableCell sx={{ wordBreak: "break-all" }}>{log.message}</TableCell>
              <TableCell sx={{ wordBreak: "break-all" }} data-column="result">{result(log)}</TableCell>
            </TableRow>
          ))}
          {data.member.length === 0 && <TableRow><TableCell colSpan={4}>No calls yet.</TableCell></TableRow>}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={2} sx={{ mt: 1, alignItems: "center" }}>
        <Button size="small" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</Button>
        <Typography variant="body2">Page {page} of {pages} ({count(data.totalItems, "call")})</Typography>
        <Button size="small" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</Button>
      </Stack>
    </Box>
  );
}
