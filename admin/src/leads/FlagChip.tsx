import { Chip } from "@mui/material";
import { FLAG_COLUMNS } from "../dashboard/flags";
import type { FlagRef } from "./types";

/** A lead flag (or QA result) in the dashboard's colours; "Unprocessed" before the Processr finished. */
export function FlagChip({ flag }: { flag: FlagRef | string | null | undefined }) {
  const name = typeof flag === "string" ? flag : flag?.name;
  const color = FLAG_COLUMNS.find((c) => c.label === name)?.color;
  return (
    <Chip size="small" label={name ?? "Unprocessed"} variant={color ? "filled" : "outlined"}
      sx={color ? { bgcolor: color, color: "#fff" } : undefined} />
  );
}
