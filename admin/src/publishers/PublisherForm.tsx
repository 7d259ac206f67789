import { Create, Edit, SimpleForm, TextInput } from "react-admin";

// A publisher has a name only in the v4 API; its campaigns are on each campaign's Publishers tab.
const form = (
  <SimpleForm>
    <TextInput source="name" />
  </SimpleForm>
);

// The API refuses read-only keys (ids, timestamps, JSON-LD keys): only the name is sent.
const nameOnly = (data: { name?: unknown }) => ({ name: data.name });

export const PublisherCreate = () => <Create redirect="list" transform={nameOnly}>{form}</Create>;
export const PublisherEdit = () => <Edit redirect="list" mutationMode="pessimistic" transform={nameOnly}>{form}</Edit>;
