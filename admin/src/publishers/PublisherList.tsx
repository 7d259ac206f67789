import { Datagrid, EditButton, List, TextField, TextInput } from "react-admin";

// The enterprise's publishers (sources of leads), paged and filtered by the API.
const filters = [<TextInput key="name" source="name" label="Name" alwaysOn />];

export function PublisherList() {
  return (
    <List filters={filters} sort={{ field: "id", order: "ASC" }} perPage={25}>
      <Datagrid rowClick="edit" bulkActionButtons={false}>
        <TextField source="originId" label="Id" sortBy="id" />
        <TextField source="name" />
        <EditButton />
      </Datagrid>
    </List>
  );
}
