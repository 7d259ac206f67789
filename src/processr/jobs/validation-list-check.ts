import { z } from "zod";
import type { ValidationListKind } from "../../db/schema";
import { domainsOf, normalisePhone } from "../../lists/normalise";
import type { QaJobDefinition } from "../types";
import { fieldName, resourceId } from "./lib/config";
import { fieldValue, firstPresent, isBlank, leadEmail, TELEPHONE_FIELDS } from "./lib/fields";
import { fail, pass, q } from "./lib/outcome";

// Validation List Check (Convertr's catalogue 1118, "job.suppression_list"): fails a lead whose
// email, email domain (or a parent domain: "example.com" covers "mail.example.com") or telephone
// number is on one of the enterprise's validation lists (/api/v4/validation-lists). Erasure lists
// are email lists, so a person who asked to be erased fails it too. Hardfail is the job's own
// setting, as for every job.
//
// A publisher learns only that its lead failed the check: which list matched (a client's
// competitors, its customers, a person's erasure request) is admin-only detail.

const listId = resourceId("validation-lists", "a validation list");

const CHECKS = ["email", "domain", "phone"] as const satisfies readonly ValidationListKind[];

const configSchema = z.strictObject({
  /** The lists to check, by id or IRI; none = every list. */
  lists: z.array(listId).max(100).default([]),
  /** What of the lead is checked. */
  check: z.array(z.enum(CHECKS)).min(1, "check at least one of email, domain, phone").default([...CHECKS]),
  /** The telephone field; by default the first of telephone, phone, mobile, phoneNumber, mobilePhone. */
  phoneField: fieldName.optional(),
});

export const VALIDATION_LIST_FAILED = "Failed validation list check";
export const VALIDATION_LIST_PASSED = "Passed validation list check";

interface Wanted {
  kind: ValidationListKind;
  value: string;
  /** How the admin-only detail names it. */
  shown: string;
}

export const validationListCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "validation_list_check",
  catalogueId: 1118,
  name: "Validation List Check",
  configSchema,
  async checkConfig(env, config) {
    if (config.lists.length === 0) return [];
    const { results } = await env.DB.prepare(`SELECT id FROM validation_lists WHERE id IN (SELECT value FROM json_each(?1))`)
      .bind(JSON.stringify(config.lists))
      .all<{ id: number }>();
    const found = new Set(results.map((r) => r.id));
    return config.lists.flatMap((id, i) =>
      found.has(id) ? [] : [{ propertyPath: `lists.${i}`, message: `Item not found for "/api/v4/validation-lists/${id}".` }],
    );
  },
  async run(lead, config, ctx) {
    const checks = new Set(config.check);
    const wanted: Wanted[] = [];
    const email = leadEmail(lead);
    if (email !== undefined && checks.has("email")) wanted.push({ kind: "email", value: email, shown: `Email ${q(email)}` });
    if (email !== undefined && checks.has("domain")) {
      for (const d of domainsOf(email)) wanted.push({ kind: "domain", value: d, shown: `Email domain ${q(d)}` });
    }
    if (checks.has("phone")) {
      const fv = config.phoneField ? fieldValue(lead, config.phoneField) : firstPresent(lead, TELEPHONE_FIELDS);
      // A number too malformed to normalise cannot be on a list (the Telephone Format Check's business).
      const phone = fv && !isBlank(fv.value) ? normalisePhone(fv.value!) : null;
      if (phone !== null) wanted.push({ kind: "phone", value: phone, shown: `Telephone ${q(phone)} (${q(fv!.field)})` });
    }
    if (wanted.length === 0) return pass("Nothing to check against the validation lists");
    const only = new Set(config.lists);
    const matches = (await ctx.lists.find(wanted.map((w) => w.value))).filter((m) => only.size === 0 || only.has(m.listId));
    const hits = wanted.flatMap((w) =>
      matches
        .filter((m) => m.kind === w.kind && m.value === w.value)
        .map((m) => `${w.shown} is on the ${m.erasure ? "erasure " : ""}list ${q(m.listName)} (/api/v4/validation-lists/${m.listId})`),
    );
    if (hits.length > 0) return { ...fail(VALIDATION_LIST_FAILED), detail: hits.join("; ") };
    return { ...pass(VALIDATION_LIST_PASSED), detail: notListed(wanted, [...only]) };
  },
};

const and = (xs: readonly string[]) => (xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`);

/** The admin-only detail of a pass, as a sentence: `Email "a@b.example" and email domain "b.example" are not on validation list 3`. */
function notListed(wanted: readonly Wanted[], lists: readonly number[]): string {
  const subject = and(wanted.map((w, i) => (i === 0 ? w.shown : w.shown[0]!.toLowerCase() + w.shown.slice(1))));
  const verb = wanted.length === 1 ? "is" : "are";
  if (lists.length === 0) return `${subject} ${verb} not on any validation list`;
  if (lists.length === 1) return `${subject} ${verb} not on validation list ${lists[0]}`;
  return `${subject} ${verb} on none of validation lists ${and(lists.map(String))}`;
}
