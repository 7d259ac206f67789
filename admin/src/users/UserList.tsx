import {
  BooleanField, Datagrid, EditButton, List, ReferenceField, SelectInput, TextField, TextInput,
} from "react-admin";
import { DisableButton } from "./DisableButton";
import { ResetPasswordButton } from "./ResetPasswordButton";
import { ROLES } from "./UserFormInputs";

// The enterprise's users, paged and filtered by the API, each with its disable and reset actions.
const filters = [
  <TextInput key="username" source="username" label="Username" alwaysOn />,
  <SelectInput key="role" source="role" choices={ROLES} alwaysOn />,
];

export function UserList() {
  return (
    <List filters={filters} sort={{ field: "id", order: "ASC" }} perPage={25}>
      <Datagrid rowClick="edit" bulkActionButtons={false}>
        <TextField source="originId" label="Id" sortBy="id" />
        <TextField source="username" />
        <TextField source="name" emptyText="—" sortable={false} />
        <TextField source="role" sortable={false} />
        <ReferenceField source="publisher" reference="publishers" link={false} sortable={false} emptyText="—">
          <TextField source="name" />
        </ReferenceField>
        <BooleanField source="disabled" sortable={false} />
        <DisableButton />
        <ResetPasswordButton />
        <EditButton />
      </Datagrid>
    </List>
  );
}
