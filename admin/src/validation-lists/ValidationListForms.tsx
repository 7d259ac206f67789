import { BooleanInput, Create, Edit, SelectInput, SimpleForm, TextInput, required } from "react-admin";
import { KINDS } from "./ValidationListList";

// A new validation list, and renaming one: its kind and whether it is the GDPR erasure list are
// chosen once, at creation.

export function ValidationListCreate() {
  return (
    <Create redirect="show">
      <SimpleForm defaultValues={{ kind: "email", erasure: false }}>
        <TextInput source="name" validate={required()} />
        <SelectInput source="kind" choices={KINDS} validate={required()} />
        <BooleanInput source="erasure" label="Erasure list (GDPR): adding an email erases that person's leads" />
      </SimpleForm>
    </Create>
  );
}

/** Only the name changes once a list exists (its entries were normalised and erased for its kind). */
export function ValidationListEdit() {
  return (
    <Edit redirect="show" mutationMode="pessimistic">
      <SimpleForm>
        <TextInput source="name" validate={required()} />
      </SimpleForm>
    </Edit>
  );
}
