import type { JobLead } from "../../types";
import { fieldName } from "./config";
import { fieldValue, isBlank } from "./fields";

// The two name fields of the first/last name jobs; forms name them differently ("surname").
export const nameFieldsSchema = {
  firstNameField: fieldName.default("firstName"),
  lastNameField: fieldName.default("lastName"),
};

export interface NameFields {
  firstNameField: string;
  lastNameField: string;
}

/** Both names, trimmed, or undefined when either is missing (the Required Value Check's business). */
export function leadNames(lead: JobLead, c: NameFields) {
  const first = fieldValue(lead, c.firstNameField);
  const last = fieldValue(lead, c.lastNameField);
  if (isBlank(first.value) || isBlank(last.value)) return undefined;
  return { first: { ...first, value: first.value!.trim() }, last: { ...last, value: last.value!.trim() } };
}
