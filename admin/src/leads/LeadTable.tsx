import { Alert, LinearProgress, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { Datagrid, type DatagridProps, ListBase, Pagination, type SortPayload, useListContext } from "react-admin";
import { apiMessage } from "../api/errors";

// One tab of the Lead Data dialog: a v4 collection filtered to the lead, paged by the API, with
// its loading state and the API's message when the read fails (e.g. a 403 for a publisher user).

/**
 * For a column whose values may be one long unbroken token (a hash, a URL, a note quoting one): it
 * wraps anywhere, so the table keeps to the dialog's width instead of scrolling sideways.
 */
export const LONG_TEXT = { overflowWrap: "anywhere" } as const;

interface Props extends Pick<DatagridProps, "expand" | "isRowExpandable"> {
  resource: string;
  filter: Record<string, unknown>;
  sort?: SortPayload;
  /** What the tab says when the lead has nothing of this kind. */
  empty: string;
  children: ReactNode;
}

function Rows({ empty, children, ...datagrid }: Omit<Props, "resource" | "filter" | "sort">) {
  const { isPending, error } = useListContext();
  if (error) return <Alert severity="error">{apiMessage(error)}</Alert>;
  if (isPending) return <LinearProgress aria-label="Loading" />;
  return (
    <>
      <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography sx={{ p: 2 }} color="text.secondary">{empty}</Typography>}
        size="small" {...datagrid}>
        {children}
      </Datagrid>
      <Pagination rowsPerPageOptions={[10, 25, 50, 100]} />
    </>
  );
}

export function LeadTable({ resource, filter, sort = { field: "id", order: "ASC" }, ...rows }: Props) {
  return (
    <ListBase resource={resource} filter={filter} sort={sort} perPage={10} disableSyncWithLocation storeKey={false}>
      <Rows {...rows} />
    </ListBase>
  );
}
