import {
  Alert, Box, Button, Card, CardContent, CardHeader, Chip, CircularProgress, Stack, Table, TableBody, TableCell,
  TableContainer, TableHead, TableRow, Typography,
} from "@mui/material";
import { lazy, Suspense, useState } from "react";
import { Link, Title } from "react-admin";
import { FLAG_COLUMNS } from "./flags";
import { type Allocation, PAGE_SIZE, useCampaignPage, useChronology } from "./useDashboardData";

// Per campaign: leads by flag, billable, allocation used; and the selected campaign's lead
// statistics chronology as a chart. Campaigns are paged from the server.

function allocationText(billable: number, a: Allocation | undefined) {
  if (!a || a.publishers === 0) return "no publishers";
  if (a.cap === null) return `${billable} (uncapped)`;
  const pct = a.cap === 0 ? 100 : Math.round((billable / a.cap) * 100);
  return `${billable} / ${a.cap} (${pct} %)`;
}

// recharts is loaded on demand, after the figures: it is not part of the console's first load.
const ChronologyChart = lazy(() => import("./ChronologyChart").then((m) => ({ default: m.ChronologyChart })));

/** Card titles are headings (the page's outline, and how tests and screen readers find them). */
const HEADING = { title: { component: "h2" } } as const;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function Dashboard() {
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<number | null>(null);
  const campaigns = useCampaignPage(page);
  const rows = campaigns.data?.campaigns.member ?? [];
  const chartCampaign = selected ?? rows[0]?.id ?? null;
  const chronology = useChronology(chartCampaign);
  const lastPage = Math.max(1, Math.ceil((campaigns.data?.campaigns.totalItems ?? 0) / PAGE_SIZE));

  return (
    <Stack spacing={2} sx={{ mt: 2 }}>
      <Title title="Dashboard" />
      <Card>
        <CardHeader title="Campaigns" subheader="Leads by flag, billable leads and allocation used" slotProps={HEADING} />
        <CardContent>
          {campaigns.isPending && <CircularProgress aria-label="Loading campaigns" />}
          {campaigns.error && <Alert severity="error">{errorText(campaigns.error)}</Alert>}
          {campaigns.data && (
            // Scrolls sideways on its own on a narrow screen (the card would clip it).
            <TableContainer>
              <Table size="small" aria-label="Campaign figures">
                <TableHead>
                  <TableRow>
                    <TableCell>Campaign</TableCell>
                    <TableCell>Status</TableCell>
                    {FLAG_COLUMNS.map((c) => <TableCell key={c.key} align="right">{c.label}</TableCell>)}
                    <TableCell align="right">Billable</TableCell>
                    <TableCell align="right">Allocation used</TableCell>
                    <TableCell />
                  </TableRow>
                </TableHead>
                <TableBody>
                  {rows.map((c) => {
                    const s = campaigns.data.statistics.get(c.id);
                    const billable = s?.billableLeads ?? 0;
                    return (
                      <TableRow key={c.id} data-campaign={c.id} selected={c.id === chartCampaign}>
                        <TableCell>
                          <Link to={`/campaigns/${encodeURIComponent(c["@id"])}/show`}>{c.name}</Link>
                        </TableCell>
                        <TableCell><Chip size="small" label={c.status} /></TableCell>
                        {FLAG_COLUMNS.map((f) => (
                          <TableCell key={f.key} align="right" data-figure={f.key}>{s?.[f.key] ?? 0}</TableCell>
                        ))}
                        <TableCell align="right" data-figure="billableLeads">{billable}</TableCell>
                        <TableCell align="right" data-figure="allocation">
                          {allocationText(billable, campaigns.data.allocations.get(c["@id"]))}
                        </TableCell>
                        <TableCell>
                          <Button size="small" onClick={() => setSelected(c.id)} disabled={c.id === chartCampaign}>Chart</Button>
                        </TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
            </TableContainer>
          )}
          {lastPage > 1 && (
            <Box sx={{ display: "flex", gap: 1, alignItems: "center", mt: 1 }}>
              <Button disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</Button>
              <Typography variant="body2">Page {page} of {lastPage}</Typography>
              <Button disabled={page >= lastPage} onClick={() => setPage(page + 1)}>Next</Button>
            </Box>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader
          title="Lead statistics chronology"
          slotProps={HEADING}
          subheader={rows.find((c) => c.id === chartCampaign)?.name ?? "No campaign"}
        />
        <CardContent>
          {chronology.isFetching && <CircularProgress aria-label="Loading chronology" />}
          {chronology.error && <Alert severity="error">{errorText(chronology.error)}</Alert>}
          {chronology.data && chronology.data.length === 0 && <Typography>No leads yet.</Typography>}
          {chronology.data && chronology.data.length > 0 && (
            <Suspense fallback={<CircularProgress aria-label="Loading chart" />}>
              <ChronologyChart days={chronology.data} />
            </Suspense>
          )}
        </CardContent>
      </Card>
    </Stack>
  );
}
