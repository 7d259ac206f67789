import DownloadIcon from "@mui/icons-material/Download";
import { Button, CircularProgress } from "@mui/material";
import { useState } from "react";
import { useListContext, useNotify } from "react-admin";
import { failure, saveBlob } from "../api/download";
import { authHeaders } from "../api/session";

// CSV export of the list's current filter and order: the same v4 request with `Accept: text/csv`,
// which the API streams whole (every lead of the filter, not one page), so the file is written by
// the API, scoped to what the caller may read, and saved as it arrives in one download.

/** Date filter operators, sent as `createdTs[after]`; other nested filters are relation paths (`leadFlag.id`). */
const DATE_OPERATORS = new Set(["after", "before", "strictly_after", "strictly_before"]);

/** The query string of a react-admin filter, as API Platform Admin's data provider writes it for the list. */
export function filterQuery(filter: Record<string, unknown>, prefix = "", query = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(filter)) {
    const name = prefix ? (DATE_OPERATORS.has(key) ? `${prefix}[${key}]` : `${prefix}.${key}`) : key;
    if (value && typeof value === "object" && !Array.isArray(value)) filterQuery(value as Record<string, unknown>, name, query);
    else if (Array.isArray(value)) value.forEach((v) => query.append(`${name}[]`, String(v)));
    else if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  return query;
}

export function LeadExportButton({ filename }: { filename: string }) {
  const { filter, filterValues, sort, total } = useListContext();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const exportCsv = async () => {
    setBusy(true);
    try {
      const query = filterQuery({ ...filterValues, ...filter });
      if (sort?.field === "id") query.set("order[id]", sort.order.toLowerCase());
      const headers = await authHeaders();
      headers.set("Accept", "text/csv");
      const res = await fetch(`/api/v4/leads?${query}`, { headers });
      if (!res.ok) throw new Error(await failure(res));
      saveBlob(await res.blob(), `${filename}.csv`);
    } catch (e) {
      notify(e instanceof Error ? e.message : String(e), { type: "error" });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button size="small" onClick={exportCsv} disabled={busy || !total}
      startIcon={busy ? <CircularProgress size={14} /> : <DownloadIcon />}>
      {busy ? "Exporting…" : "Export CSV"}
    </Button>
  );
}
