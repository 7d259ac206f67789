import { Alert, Stack, Typography } from "@mui/material";
import {
  DateField, DeleteButton, Datagrid, EditButton, ListBase, Pagination, Show, TextField, useRecordContext,
} from "react-admin";
import type { ValidationListRecord } from "./api";
import { EntryAdd } from "./EntryAdd";
import { EntryFiles } from "./EntryFiles";
import { ErasureChip, KINDS } from "./ValidationListList";

// One validation list: what it is, its entries (paged by the API) with add and remove, and its CSV
// import and export.

function Entries() {
  const list = useRecordContext<ValidationListRecord>();
  if (!list) return null;
  return (
    <Stack sx={{ p: 2 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center", mb: 1 }}>
        <Typography variant="h6">{list.name}</Typography>
        {list.erasure && <ErasureChip />}
        <Typography color="text.secondary">{KINDS.find((k) => k.id === list.kind)?.name ?? list.kind}</Typography>
      </Stack>
      {list.erasure && (
        <Alert severity="warning" sx={{ mb: 2 }}>
          This is the GDPR erasure list: adding an email redacts the personal values of every lead with that email.
        </Alert>
      )}
      <EntryAdd list={list} />
      <EntryFiles list={list} />
      <ListBase resource="validation-list-entries" filter={{ "validationList.id": list.originId }} sort={{ field: "id", order: "DESC" }}
        perPage={25} disableSyncWithLocation storeKey={false}>
        <Datagrid bulkActionButtons={false} rowClick={false} aria-label="Entries"
          empty={<Typography sx={{ p: 2 }} color="text.secondary">The list has no entries yet.</Typography>}>
          <TextField source="value" sortable={false} />
          <DateField source="createdTs" label="Added" showTime sortable={false} />
          <DeleteButton label="Remove" mutationMode="pessimistic" redirect={false}
            confirmTitle="Remove this entry?" confirmContent="Leads with this value no longer fail the list's check." />
        </Datagrid>
        <Pagination rowsPerPageOptions={[25, 50, 100]} />
      </ListBase>
    </Stack>
  );
}

export function ValidationListShow() {
  return (
    <Show actions={<Stack direction="row" sx={{ justifyContent: "flex-end", p: 1 }}><EditButton label="Rename" /></Stack>}>
      <Entries />
    </Show>
  );
}
