import { FormDataConsumer, ReferenceInput, SelectInput, TextInput } from "react-admin";

export const ROLES = [
  { id: "admin", name: "Admin" },
  { id: "publisher", name: "Publisher" },
];

/** What a user form sends: the API refuses read-only keys (ids, timestamps, JSON-LD keys). */
const WRITABLE = ["username", "name", "role", "publisher", "mfaTelephone", "disabled", "password"] as const;

/**
 * The form's writable fields; an admin belongs to no publisher (the API refuses one), so switching
 * a user to admin drops it.
 */
export function userWrite(data: Record<string, unknown>): Record<string, unknown> {
  const body = Object.fromEntries(WRITABLE.filter((k) => Object.hasOwn(data, k)).map((k) => [k, data[k]]));
  return data.role === "admin" ? { ...body, publisher: null } : body;
}

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
