import { BooleanInput, Edit, ListButton, SimpleForm, TopToolbar } from "react-admin";
import { ResetPasswordButton } from "./ResetPasswordButton";
import { userWrite, UserFormInputs } from "./UserFormInputs";

export function UserEdit() {
  return (
    <Edit mutationMode="pessimistic" transform={userWrite}
      actions={<TopToolbar><ListButton /><ResetPasswordButton /></TopToolbar>}>
      <SimpleForm>
        <UserFormInputs editing />
        <BooleanInput source="disabled" helperText="A disabled user cannot sign in; saving ends its sessions." />
      </SimpleForm>
    </Edit>
  );
}
