import { Alert, Button, MenuItem, Stack, TextField as MuiTextField, Typography } from "@mui/material";
import { useState } from "react";
import { Datagrid, DeleteButton, ListBase, Pagination, TextField, useNotify, useRefresh } from "react-admin";
import { apiMessage } from "../api/errors";
import { CsvFiles } from "../csv/CsvFiles";
import { addValue, exportValues, type ImportMode, importValues } from "./api";
import type { TransformRecord } from "./rules";

// A Transform's value table: its rows (paged by the API) with add and remove, and the CSV import
// (merge or replace) and export of the whole table.

function AddValue({ rule }: { rule: TransformRecord }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [original, setOriginal] = useState("");
  const [replacement, setReplacement] = useState("");
  const [error, setError] = useState<string | null>(null);
  const add = async () => {
    setError(null);
    try {
      await addValue(rule, original, replacement);
      notify(`"${original}" → "${replacement}" added`, { type: "success" });
      setOriginal("");
      setReplacement("");
      refresh();
    } catch (e) {
      setError(apiMessage(e));
    }
  };
  return (
    <Stack spacing={1} sx={{ mb: 2 }}>
      <Stack direction="row" spacing={1} component="form" onSubmit={(e) => { e.preventDefault(); add(); }}>
        <MuiTextField size="small" label="Original value" value={original} onChange={(e) => setOriginal(e.target.value)} />
        <MuiTextField size="small" label="New value" value={replacement} onChange={(e) => setReplacement(e.target.value)} />
        <Button type="submit" variant="contained" disabled={!original.trim()}>Add row</Button>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}

export function ValueTable({ rule }: { rule: TransformRecord }) {
  const [mode, setMode] = useState<ImportMode>("merge");
  return (
    <>
      <Typography variant="subtitle1" gutterBottom>Value table (original values match trimmed, ignoring case)</Typography>
      <AddValue rule={rule} />
      <CsvFiles onImport={(file) => importValues(rule, file, mode)} onExport={() => exportValues(rule)}>
        <MuiTextField select size="small" label="Import mode" value={mode} onChange={(e) => setMode(e.target.value as ImportMode)}
          sx={{ minWidth: 260 }}>
          <MenuItem value="merge">Merge (add and update rows)</MenuItem>
          <MenuItem value="replace">Replace (the file becomes the table)</MenuItem>
        </MuiTextField>
      </CsvFiles>
      <ListBase resource="advertiser-value-transform-values" filter={{ "advertiserValueTransform.id": rule.originId }}
        sort={{ field: "originalValue", order: "ASC" }} perPage={25} disableSyncWithLocation storeKey={false}>
        <Datagrid bulkActionButtons={false} rowClick={false}
          empty={<Typography sx={{ p: 2 }} color="text.secondary">The table has no rows yet: leads keep no new value.</Typography>}>
          <TextField source="originalValue" label="Original value" />
          <TextField source="newValue" label="New value" sortable={false} />
          <DeleteButton label="Remove" mutationMode="pessimistic" redirect={false} confirmTitle="Remove this row?" confirmContent=" " />
        </Datagrid>
        <Pagination rowsPerPageOptions={[25, 50, 100]} />
      </ListBase>
    </>
  );
}
