import type { FieldType } from "../db/schema";

// The lead's core values besides its email (src/leads/email.ts): the columns of the leads row that
// copy a captured value, which the v4 Lead shows as firstName … addressLine4 and its filters read.
// One rule for capture, the demo loader, Edit Data and lead append: a column takes the value of
// the form's field of its type when it has one (a telephone-type field, whatever it is called),
// else the first non-empty value among its names, in order. Forms name the same thing differently
// (the agency's form asks for `surname`, Convertr's examples for `lastName`), so each column lists
// the names forms use for it.

interface CoreField {
  column: "first_name" | "last_name" | "telephone" | "postcode" | "address_line1" | "address_line2" | "address_line3" | "address_line4";
  /** A form field of this type fills the column first, whatever its name. */
  type?: FieldType;
  names: readonly string[];
}

export const CORE_FIELDS: readonly CoreField[] = [
  { column: "first_name", names: ["firstName", "first_name", "forename", "givenName"] },
  { column: "last_name", names: ["lastName", "last_name", "surname", "familyName"] },
  {
    column: "telephone",
    type: "telephone",
    names: ["telephone", "telephone[telephone]", "phone", "mobile", "phoneNumber", "mobilePhone"],
  },
  { column: "postcode", names: ["postcode", "lookup[postcode]", "postCode", "postalCode", "zip", "zipCode"] },
  { column: "address_line1", names: ["lookup[addressLine1]", "addressLine1"] },
  { column: "address_line2", names: ["lookup[addressLine2]", "addressLine2"] },
  { column: "address_line3", names: ["lookup[addressLine3]", "addressLine3"] },
  { column: "address_line4", names: ["lookup[addressLine4]", "addressLine4"] },
];

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * The typed field first: the name of the form's first field of `type` (fields in form order),
 * whatever it is called; undefined when the form has none. The email (src/leads/email.ts) follows
 * the same rule.
 */
export function typedFieldName(fields: readonly { name: string; type?: string }[], type: FieldType): string | undefined {
  return fields.find((f) => f.type === type)?.name;
}

/** typedFieldName in SQL, for the form whose id the SQL expression `formId` gives; NULL when it has none. */
export function typedFieldNameSql(formId: string, type: FieldType): string {
  return `(SELECT ff.name FROM form_fields ff
    WHERE ff.form_id = ${formId} AND ff.type = ${sqlText(type)} ORDER BY ff.position, ff.id LIMIT 1)`;
}

/** The field types a core column reads first (typedFieldName). */
const CORE_TYPES = [...new Set(CORE_FIELDS.flatMap((c) => (c.type ? [c.type] : [])))];

/**
 * SQL rows (form_id, field) of the forms whose ids the subquery `formIds` gives (its column
 * form_id): each form's field of each type coreValues reads first (typedFieldNameSql), as JSON
 * {"name", "type"}; none for a type the form lacks. What coreValues needs of a form's fields.
 */
export function typedCoreFieldsSql(formIds: string): string {
  const typed = CORE_TYPES.map((t) => `SELECT f.form_id, ${sqlText(t)} AS type, ${typedFieldNameSql("f.form_id", t)} AS name FROM ${formIds} f`);
  return `SELECT form_id, json_object('name', name, 'type', type) AS field FROM (${typed.join(" UNION ALL ")}) WHERE name IS NOT NULL`;
}

/** The core columns' values (CORE_FIELDS' order) from a lead's values and its form's fields (in form order). */
export function coreValues(values: ReadonlyMap<string, string>, fields: readonly { name: string; type?: string }[]): (string | null)[] {
  return CORE_FIELDS.map((c) => {
    const typed = c.type && typedFieldName(fields, c.type);
    const v = typed ? values.get(typed) : undefined;
    if (v) return v;
    for (const n of c.names) {
      const w = values.get(n);
      if (w) return w;
    }
    return null;
  });
}

/** SQL for a statement on `leads`: one core column's value from the lead's stored data (coreValues in SQL). */
export function columnFromLeadDataSql(c: CoreField): string {
  // Found from d.lead_id, not the outer leads row: SQLite cannot resolve the outer row in the
  // ORDER BY of a subquery over the view lead_datas, itself a query of leads.
  const typed = c.type ? typedFieldNameSql("(SELECT l.form_id FROM leads l WHERE l.id = d.lead_id)", c.type) : null;
  const rank = `CASE ${typed ? `WHEN d.name = ${typed} THEN 0 ` : ""}${c.names.map((n, i) => `WHEN d.name = ${sqlText(n)} THEN ${i + 1}`).join(" ")} END`;
  return `(SELECT d.value FROM lead_datas d
    WHERE d.lead_id = leads.id AND d.value <> '' AND (d.name IN (${c.names.map(sqlText).join(", ")})${typed ? ` OR d.name = ${typed}` : ""})
    ORDER BY ${rank} LIMIT 1)`;
}

/**
 * SQL: the SET list that copies every core column from the lead's stored data, for a statement on
 * `leads` in the batch that edits the data (after the edit), so the copies follow whatever name
 * was edited, by the same rule as capture.
 */
export const CORE_FROM_LEAD_DATA_SQL = CORE_FIELDS.map((c) => `${c.column} = ${columnFromLeadDataSql(c)}`).join(",\n  ");
