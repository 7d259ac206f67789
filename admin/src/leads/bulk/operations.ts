// The bulk lead operations of the v4 API (POST /api/v4/leads-bulk-{name}) and the fields each one
// asks for; the API validates them and its message is shown as it is.

export type BulkOperation = "flag" | "reprocess" | "deliver" | "undeliver" | "metadata" | "delete";

export interface BulkOperationDef {
  name: BulkOperation;
  /** The menu item and the dialog's title. */
  label: string;
  /** What the dialog says the operation does. */
  explain: string;
  /** The reason field: required (flag), optional, or none. */
  reason: "required" | "optional" | "none";
  /** The dialog's extra choice (flag or metadata) and its options as [value sent, label]. */
  choice?: { field: "leadFlag" | "metadata"; label: string; options: [string | number, string][] };
  destructive?: boolean;
}

export const BULK_OPERATIONS: BulkOperationDef[] = [
  {
    name: "flag",
    label: "Flag",
    explain: "Sets the flag of each lead (a note records the change and its reason).",
    reason: "required",
    choice: { field: "leadFlag", label: "New flag", options: [[1, "Valid"], [2, "Invalid"], [4, "Test"]] },
  },
  { name: "reprocess", label: "Reprocess", explain: "Sends each lead through the campaign's Processr jobs again.", reason: "none" },
  {
    name: "deliver",
    label: "Deliver",
    explain: "Flags each lead that is not delivered (neither Valid nor Test) as Valid; delivered leads are left as they are.",
    reason: "optional",
  },
  {
    name: "undeliver",
    label: "Undeliver",
    explain: "Flags each delivered lead (Valid or Test) as Invalid; other leads are left as they are.",
    reason: "optional",
  },
  {
    name: "metadata",
    label: "Mark as replacement / other",
    explain: "Marks each lead as a replacement or as other (or removes the mark), with an optional comment.",
    reason: "none",
    choice: { field: "metadata", label: "Mark as", options: [["Replacement", "Replacement"], ["Other", "Other"], ["None", "None (remove the mark)"]] },
  },
  { name: "delete", label: "Delete", explain: "Deletes each lead (it leaves every list and report).", reason: "optional", destructive: true },
];
