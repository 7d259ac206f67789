import { FormDataConsumer, ReferenceInput, SelectInput, TextInput } from "react-admin";

export const ROLES = [
  { id: "admin", name: "Admin" },
  { id: "publisher", name: "Publisher" },
];

/** An admin belongs to no publisher (the API refuses one): switching a user to admin drops it. */
export const adminHasNoPublisher = (data: Record<string, unknown>) => (data.role === "admin" ? { ...data, publisher: null } : data);

/** The fields a user is created and edited with; a publisher user belongs to one publisher. */
export function UserFormInputs() {
  return (
    <>
      <TextInput source="username" label="Username (email)" type="email" />
      <TextInput source="name" />
      <SelectInput source="role" choices={ROLES} />
      <FormDataConsumer<{ role?: string }>>
        {({ formData }) =>
          formData.role === "publisher" ? (
            <ReferenceInput source="publisher" reference="publishers">
              <SelectInput optionText="name" label="Publisher" />
            </ReferenceInput>
          ) : null
        }
      </FormDataConsumer>
      <TextInput source="mfaTelephone" label="MFA telephone (E.164, empty = no MFA)" parse={(v: string) => v || null} />
    </>
  );
}
