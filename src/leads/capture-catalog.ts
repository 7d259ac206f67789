import { and, asc, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client";
import { campaigns, formFields, forms, links } from "../db/schema";
import type { Env } from "../env";
import { SUBMIT_FIELD } from "./capture-validate";

// What a capture client needs to build its requests: the campaign's forms with their fields, and
// its links. Shared by the publisher API and the campaign webhook.

export interface CatalogForm {
  formId: number;
  formName: string;
  /** Posted names, `form[lookup][postcode]`; `form[submit]` last, as every form has it. */
  fields: { key: string; hidden: boolean; required: boolean }[];
}

/** `lookup[postcode]` → `form[lookup][postcode]`. */
export function postedName(field: string): string {
  const i = field.indexOf("[");
  return i < 0 ? `form[${field}]` : `form[${field.slice(0, i)}]${field.slice(i)}`;
}

export async function campaignExists(env: Env, campaignId: number): Promise<boolean> {
  const row = await getDb(env)
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.id, campaignId), isNull(campaigns.deletedTs)))
    .get();
  return row !== undefined;
}

export async function campaignForms(env: Env, campaignId: number): Promise<CatalogForm[]> {
  const rows = await getDb(env)
    .select({
      formId: forms.id,
      formName: forms.name,
      name: formFields.name,
      type: formFields.type,
      hidden: formFields.hidden,
      required: formFields.required,
    })
    .from(forms)
    .leftJoin(formFields, eq(formFields.formId, forms.id))
    .where(eq(forms.campaignId, campaignId))
    .orderBy(asc(forms.id), asc(formFields.position), asc(formFields.id));
  const out = new Map<number, CatalogForm>();
  for (const r of rows) {
    let f = out.get(r.formId);
    if (!f) out.set(r.formId, (f = { formId: r.formId, formName: r.formName, fields: [] }));
    if (r.name === null || r.name === SUBMIT_FIELD || r.type === "submit") continue;
    f.fields.push({ key: postedName(r.name), hidden: !!r.hidden, required: !!r.required });
  }
  for (const f of out.values()) f.fields.push({ key: `form[${SUBMIT_FIELD}]`, hidden: false, required: false });
  return [...out.values()];
}

export async function campaignLinks(env: Env, campaignId: number) {
  return getDb(env)
    .select({ channel: links.channel, destination: links.destination, id: links.id, name: links.name })
    .from(links)
    .where(and(eq(links.campaignId, campaignId), eq(links.enabled, true)))
    .orderBy(asc(links.id));
}
