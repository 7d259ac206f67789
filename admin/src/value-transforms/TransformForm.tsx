import {
  BooleanInput, Create, Edit, FormDataConsumer, NumberInput, ReferenceInput, SelectInput, SimpleForm, TextInput, required,
} from "react-admin";
import { cleanRule, OPERATIONS } from "./rules";

// A value transform rule: which advertiser, which captured field it reads and which new field it
// writes, and either a value table (Transform, edited on the rule's page) or a computation
// (Manipulation) whose settings follow the chosen operation.

const TYPES = [
  { id: "Transform", name: "Transform (value table)" },
  { id: "Manipulation", name: "Manipulation (computed)" },
];

/** "a, b" in the form ⇄ ["a", "b"] in the API. */
const parseList = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
const formatList = (v: unknown) => (Array.isArray(v) ? v.join(", ") : ((v as string | undefined) ?? ""));

function ManipulationInputs() {
  return (
    <FormDataConsumer>
      {({ formData }) =>
        formData.type === "Manipulation" && (
          <>
            <SelectInput source="manipulation.operation" label="Operation" choices={OPERATIONS} validate={required()} />
            {formData.manipulation?.operation === "concatenate" && (
              <>
                <TextInput source="manipulation.fields" label="Fields appended (comma-separated)" parse={parseList} format={formatList}
                  validate={required()} helperText="Appended after the original field, in this order; empty values are skipped." />
                <TextInput source="manipulation.separator" label="Separator" defaultValue=" " />
              </>
            )}
            {formData.manipulation?.operation === "replace" && (
              <>
                <TextInput source="manipulation.pattern" label="Pattern (regular expression)" validate={required()} />
                <TextInput source="manipulation.replacement" label="Replacement" helperText="$1… names the pattern's groups." />
                <TextInput source="manipulation.flags" label="Flags" defaultValue="g" helperText="Any of g, i, m, s, u." />
              </>
            )}
            {formData.manipulation?.operation === "case" && (
              <SelectInput source="manipulation.case" label="Case" validate={required()}
                choices={[{ id: "lower", name: "lower case" }, { id: "upper", name: "UPPER CASE" }, { id: "title", name: "Title Case" }]} />
            )}
            {formData.manipulation?.operation === "hash" && (
              <>
                <SelectInput source="manipulation.algorithm" label="Algorithm" validate={required()}
                  choices={[{ id: "sha256", name: "SHA-256" }, { id: "sha1", name: "SHA-1" }, { id: "md5", name: "MD5" }]} />
                <BooleanInput source="manipulation.normalise" label="Trim and lower-case before hashing" defaultValue />
              </>
            )}
          </>
        )
      }
    </FormDataConsumer>
  );
}

function RuleForm() {
  return (
    <SimpleForm>
      <ReferenceInput source="advertiser" reference="advertisers">
        <SelectInput optionText="name" validate={required()} />
      </ReferenceInput>
      <TextInput source="label" validate={required()} />
      <SelectInput source="type" choices={TYPES} validate={required()} />
      <TextInput source="originalFieldName" label="Original field" validate={required()} helperText="The lead value the rule reads." />
      <TextInput source="newFieldName" label="New field" validate={required()}
        helperText="Where the result is written; a captured value is never replaced." />
      <ManipulationInputs />
      <NumberInput source="position" helperText="Rules run in this order; a Manipulation sees what earlier rules wrote." />
      <BooleanInput source="enabled" defaultValue />
    </SimpleForm>
  );
}

export function TransformCreate() {
  return (
    <Create redirect="show" transform={cleanRule}>
      <RuleForm />
    </Create>
  );
}

export function TransformEdit() {
  return (
    <Edit redirect="show" mutationMode="pessimistic" transform={cleanRule}>
      <RuleForm />
    </Edit>
  );
}
