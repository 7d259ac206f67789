import { useListContext } from "react-admin";
import { filterQuery } from "../LeadExportButton";
import { BulkMenu } from "./BulkMenu";

// The Leads list's bulk actions (admins): on the selected rows, or on every lead matching the
// list's current filter (the bulk API takes the same v4 filter the list sends).

/** Shown in the list's bulk bar once rows are selected. */
export function SelectedLeadsActions() {
  const { selectedIds } = useListContext();
  const n = selectedIds.length;
  return <BulkMenu label="Bulk actions" scope={{ leads: selectedIds.map(String) }} what={`${n} selected lead${n === 1 ? "" : "s"}`} />;
}

/** In the list's toolbar: every lead of the current filter (the API refuses an empty filter). */
export function MatchingLeadsActions() {
  const { filter, filterValues, total } = useListContext();
  const query = filterQuery({ ...filterValues, ...filter }).toString();
  return (
    <BulkMenu label="Apply to all matching" scope={{ filter: query }} disabled={!total}
      what={`every lead matching the filter (${total ?? 0})`} />
  );
}
