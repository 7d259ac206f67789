import DeleteIcon from "@mui/icons-material/Delete";
import { Button, IconButton, Table, TableBody, TableCell, TableHead, TableRow, TextField } from "@mui/material";
import type { AdaptorRow } from "./api";

/** Editable mapping rows (lead field → sent as, default value): a new adaptor's, or a GET integration's inline parameters. */
export function AdaptorRowsTable({ label, rows, onChange }: { label: string; rows: AdaptorRow[]; onChange: (rows: AdaptorRow[]) => void }) {
  const setRow = (i: number, r: Partial<AdaptorRow>) => onChange(rows.map((x, j) => (j === i ? { ...x, ...r } : x)));
  return (
    <>
      <Table size="small" aria-label={label}>
        <TableHead>
          <TableRow><TableCell>Lead field</TableCell><TableCell>Sent as</TableCell><TableCell>Default value</TableCell><TableCell /></TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r, i) => (
            <TableRow key={i}>
              {(["field", "mappedTo", "defaultValue"] as const).map((k) => (
                <TableCell key={k}>
                  <TextField size="small" fullWidth value={r[k]} slotProps={{ htmlInput: { "aria-label": `Adaptor row ${i + 1} ${k}` } }} onChange={(e) => setRow(i, { [k]: e.target.value })} />
                </TableCell>
              ))}
              <TableCell><IconButton aria-label={`Remove adaptor row ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}><DeleteIcon /></IconButton></TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Button size="small" sx={{ alignSelf: "flex-start" }} onClick={() => onChange([...rows, { field: "", mappedTo: "", defaultValue: "" }])}>Add adaptor row</Button>
    </>
  );
}

/** Rows as the API takes them: those without a lead field are left out. */
export const filledRows = (rows: AdaptorRow[]) => rows.filter((r) => r.field.trim() !== "");
