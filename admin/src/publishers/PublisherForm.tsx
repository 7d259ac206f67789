import { Create, Edit, SimpleForm, TextInput } from "react-admin";

// A publisher has a name only in the v4 API; its campaigns are on each campaign's Publishers tab.
const form = (
  <SimpleForm>
    <TextInput source="name" />
  </SimpleForm>
);

export const PublisherCreate = () => <Create redirect="list">{form}</Create>;
export const PublisherEdit = () => <Edit redirect="list" mutationMode="pessimistic">{form}</Edit>;
