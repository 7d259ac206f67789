import DownloadIcon from "@mui/icons-material/Download";
import { Button, CircularProgress } from "@mui/material";
import { useState } from "react";
import { downloadCSV, useDataProvider, useListContext, useNotify } from "react-admin";
import { apiMessage } from "../api/errors";
import type { LeadRecord } from "./types";

// CSV export of the list's current filter and order. The API has no CSV representation of leads,
// so the console reads the collection page by page (100 a page, the API's maximum) and writes the
// file itself. The API pages no deeper than 10,000 rows: past that, the file says so in its name
// and the user is told to narrow the filter (e.g. the created date range).

const PAGE = 100;
const MAX_ROWS = 10_000;

type Row = LeadRecord & { leadData?: { name: string; value: string }[] };

const CORE: [string, (l: Row) => unknown][] = [
  ["id", (l) => l.originId],
  ["createdTs", (l) => l.createdTs],
  ["campaign", (l) => l.campaign.split("/").pop()],
  ["publisher", (l) => l.publisher.split("/").pop()],
  ["flag", (l) => l.leadFlag?.name ?? ""],
  ["qaResult", (l) => l.qaResult?.name ?? ""],
  ["score", (l) => l.score],
  ["maxScore", (l) => l.maxScore],
  ["processrStatus", (l) => l.processrStatus],
  ["publisherBillable", (l) => l.publisherBillable],
  ["publisherPayout", (l) => l.publisherPayout],
  ["advertiserPayout", (l) => l.advertiserPayout ?? ""],
  ["leadHash", (l) => l.leadHash],
];

/** RFC 4180: quote every value, doubling quotes inside. */
const cell = (v: unknown) => `"${String(v ?? "").replace(/"/g, '""')}"`;

export function toCsv(rows: Row[]): string {
  // Captured values become columns of their own, in the order first seen.
  const names = [...new Set(rows.flatMap((r) => (r.leadData ?? []).map((d) => d.name)))];
  const header = [...CORE.map(([k]) => k), ...names.map((n) => `data.${n}`)];
  const lines = rows.map((r) => {
    const data = new Map((r.leadData ?? []).map((d) => [d.name, d.value]));
    return [...CORE.map(([, get]) => get(r)), ...names.map((n) => data.get(n) ?? "")].map(cell).join(",");
  });
  return [header.map(cell).join(","), ...lines].join("\r\n");
}

export function LeadExportButton({ filename }: { filename: string }) {
  const { filter, filterValues, sort, total } = useListContext<Row>();
  const dataProvider = useDataProvider();
  const notify = useNotify();
  const [done, setDone] = useState<number | null>(null);
  const exportCsv = async () => {
    setDone(0);
    try {
      const rows: Row[] = [];
      for (let page = 1; rows.length < MAX_ROWS; page++) {
        const { data, total: all } = await dataProvider.getList<Row>("leads", {
          filter: { ...filterValues, ...filter }, sort, pagination: { page, perPage: PAGE },
        });
        rows.push(...data);
        setDone(rows.length);
        if (data.length < PAGE || rows.length >= (all ?? 0)) break;
      }
      const cut = (total ?? 0) > rows.length;
      downloadCSV(toCsv(rows), cut ? `${filename}-first-${rows.length}` : filename);
      if (cut) notify(`Exported the first ${rows.length} of ${total} leads: narrow the filter (e.g. the created dates) for the rest.`, { type: "warning" });
    } catch (e) {
      notify(apiMessage(e), { type: "error" });
    } finally {
      setDone(null);
    }
  };
  return (
    <Button size="small" onClick={exportCsv} disabled={done !== null || !total}
      startIcon={done !== null ? <CircularProgress size={14} /> : <DownloadIcon />}>
      {done !== null ? `Exporting ${done}/${Math.min(total ?? 0, MAX_ROWS)}` : "Export CSV"}
    </Button>
  );
}
