import { sql } from "drizzle-orm";
import { z } from "zod";
import { campaigns, FIELD_TYPES, formFields, forms } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, inList, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { relation } from "../../hydra/write";
import { campaignLive, onCampaign } from "./access";

// /api/v4/forms and /api/v4/form-fields: the capture forms of a campaign and their fields.
type Form = typeof forms.$inferSelect;
type FormField = typeof formFields.$inferSelect;
const w = { writable: true };

export const formResource = defineResource<Form, Map<number, number[]>>({
  type: "Form",
  path: "forms",
  title: "Form",
  description: "A capture form of a campaign.",
  table: forms,
  id: forms.id,
  fields: {
    id: field("integer", (f) => f.id),
    campaign: field({ link: "Campaign" }, (f) => iri("campaigns", f.campaignId), { ...w, required: true }),
    name: field("string", (f) => f.name, { ...w, required: true }),
    formFields: field({ links: "FormField" }, (f, x) => (x.get(f.id) ?? []).map((id) => iri("form-fields", id))),
    createdTs: field("dateTime", (f) => isoTs(f.createdTs)),
    updatedTs: field("dateTime", (f) => isoTs(f.updatedTs)),
  },
  filters: [exact("id", forms.id, intValue), exact("campaign.id", forms.campaignId, intValue), orderFilter({ id: forms.id, name: forms.name })],
  base: () => campaignLive(forms.campaignId),
  scope: (ctx) => onCampaign(ctx, forms.campaignId),
  async load(ctx, rows) {
    const list = await ctx.db.select({ id: formFields.id, formId: formFields.formId }).from(formFields)
      .where(inList(formFields.formId, rows.map((r) => r.id))).orderBy(formFields.position, formFields.id);
    const m = new Map<number, number[]>();
    for (const f of list) m.set(f.formId, [...(m.get(f.formId) ?? []), f.id]);
    return m;
  },
  ...tableWrites({
    table: forms,
    id: forms.id,
    shape: { campaign: relation("campaigns"), name: z.string().trim().min(1).max(255) },
    required: ["campaign", "name"],
    rename: { campaign: "campaignId" },
    refs: (d) => [{ propertyPath: "campaign", path: "campaigns", table: campaigns, id: d.campaign, where: sql`deleted_ts IS NULL` }],
  }),
});

export const formFieldResource = defineResource<FormField>({
  type: "FormField",
  path: "form-fields",
  title: "FormField",
  description: 'A field of a form, by captured name ("firstName", "lookup[postcode]").',
  table: formFields,
  id: formFields.id,
  fields: {
    id: field("integer", (f) => f.id),
    form: field({ link: "Form" }, (f) => iri("forms", f.formId), { ...w, required: true }),
    name: field("string", (f) => f.name, { ...w, required: true }),
    type: field("string", (f) => f.type, { ...w, description: FIELD_TYPES.join(", ") }),
    required: field("boolean", (f) => f.required, w),
    hidden: field("boolean", (f) => f.hidden, w),
    position: field("integer", (f) => f.position, w),
  },
  filters: [exact("id", formFields.id, intValue), exact("form.id", formFields.formId, intValue), orderFilter({ id: formFields.id, position: formFields.position })],
  defaultOrder: [sql`${formFields.formId}`, sql`${formFields.position}`],
  base: () => sql`EXISTS (SELECT 1 FROM forms f JOIN campaigns c ON c.id = f.campaign_id WHERE f.id = ${formFields.formId} AND c.deleted_ts IS NULL)`,
  scope: (ctx) => sql`EXISTS (SELECT 1 FROM forms f JOIN campaign_publishers cp ON cp.campaign_id = f.campaign_id WHERE f.id = ${formFields.formId} AND cp.publisher_id = ${ctx.publisherId})`,
  ...tableWrites({
    table: formFields,
    id: formFields.id,
    shape: {
      form: relation("forms"),
      name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.\-[\]]+$/, "Field names use letters, digits, _ . - and [ ] only."),
      type: z.enum(FIELD_TYPES),
      required: z.boolean(),
      hidden: z.boolean(),
      position: z.number().int().min(0).max(10_000),
    },
    required: ["form", "name"],
    rename: { form: "formId" },
    refs: (d) => [{ propertyPath: "form", path: "forms", table: forms, id: d.form }],
    uniqueProperty: "name",
    touch: false,
  }),
});
