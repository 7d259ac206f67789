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

// On an existing user, a new role, publisher or MFA telephone ends its sessions (the API revokes its
// tokens with the change), which the edit form says before the admin saves.
const ENDS_SESSIONS = "Changing it ends the user's sessions.";

/** The fields a user is created and edited with; a publisher user belongs to one publisher. */
export function UserFormInputs({ editing = false }: { editing?: boolean }) {
  const ends = editing ? ENDS_SESSIONS : undefined;
  return (
    <>
      <TextInput source="username" label="Username (email)" type="email" />
      <TextInput source="name" />
      <SelectInput source="role" choices={ROLES} helperText={ends} />
      <FormDataConsumer<{ role?: string }>>
        {({ formData }) =>
          formData.role === "publisher" ? (
            <ReferenceInput source="publisher" reference="publishers">
              <SelectInput optionText="name" label="Publisher" helperText={ends} />
            </ReferenceInput>
          ) : null
        }
      </FormDataConsumer>
      <TextInput source="mfaTelephone" label="MFA telephone (E.164, empty = no MFA)" parse={(v: string) => v || null}
        helperText={editing ? "Changing it, or turning MFA on or off, ends the user's sessions." : undefined} />
    </>
  );
}
