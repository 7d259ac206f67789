import ArrowDropDownIcon from "@mui/icons-material/ArrowDropDown";
import { Button, Menu, MenuItem } from "@mui/material";
import { useState } from "react";
import type { BulkScope } from "./api";
import { BulkDialog } from "./BulkDialog";
import { BULK_OPERATIONS, type BulkOperationDef } from "./operations";

// A menu of the bulk operations for a set of leads (the selected rows, or every lead matching the
// list's filter); the chosen one opens its dialog.

interface Props {
  label: string;
  scope: BulkScope;
  what: string;
  disabled?: boolean;
}

export function BulkMenu({ label, scope, what, disabled }: Props) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [op, setOp] = useState<BulkOperationDef | null>(null);
  return (
    <>
      <Button size="small" onClick={(e) => setAnchor(e.currentTarget)} disabled={disabled} endIcon={<ArrowDropDownIcon />}
        aria-haspopup="menu">
        {label}
      </Button>
      <Menu anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        {BULK_OPERATIONS.map((o) => (
          <MenuItem key={o.name} onClick={() => { setAnchor(null); setOp(o); }} sx={o.destructive ? { color: "error.main" } : undefined}>
            {o.label}…
          </MenuItem>
        ))}
      </Menu>
      {op && <BulkDialog op={op} scope={scope} what={what} onClose={() => setOp(null)} />}
    </>
  );
}
