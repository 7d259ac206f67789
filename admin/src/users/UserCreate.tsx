import { Create, PasswordInput, SimpleForm } from "react-admin";
import { NEW_PASSWORD_HINT } from "../auth/passwordPolicy";
import { userWrite, UserFormInputs } from "./UserFormInputs";

// A new user with its first password.

export function UserCreate() {
  return (
    <Create redirect="list" transform={userWrite}>
      <SimpleForm defaultValues={{ role: "publisher" }}>
        <UserFormInputs />
        <PasswordInput source="password" autoComplete="new-password" helperText={NEW_PASSWORD_HINT} />
      </SimpleForm>
    </Create>
  );
}
