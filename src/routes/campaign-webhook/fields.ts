import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env";
import { campaignForms, campaignLinks } from "../../leads/capture-catalog";
import { campaignIdParam, requireCampaignKey } from "./auth";

// The campaign webhook's read endpoints (Convertr's campaign webhook documentation): forms with their fields, and links.
export const catalog = new Hono<AppEnv>();

const ID = ":campaignId{[0-9]+}";

/** v2: each field with its posted name, whether it is hidden and whether it is required. */
export const webhookFieldsV2Schema = z.array(
  z.object({
    formName: z.string(),
    formId: z.number().int(),
    fields: z.array(z.object({ key: z.string(), hidden: z.boolean(), required: z.boolean() })),
  }),
);
/** The older variants: the posted names only. */
export const webhookFieldsSchema = z.array(
  z.object({ formName: z.string(), formId: z.number().int(), fields: z.array(z.string()) }),
);
type V2Fields = z.output<typeof webhookFieldsV2Schema>;
type Fields = z.output<typeof webhookFieldsSchema>;

catalog.get(`/v2/${ID}/global-form/fields`, requireCampaignKey, async (c) => {
  const forms = await campaignForms(c.env, campaignIdParam(c));
  return c.json(forms.map((f) => ({ formName: f.formName, formId: f.formId, fields: f.fields })) satisfies V2Fields);
});

// The older variants: fields as plain posted names.
for (const path of [`/${ID}/global-form/fields`, `/${ID}/form/fields`]) {
  catalog.get(path, requireCampaignKey, async (c) => {
    const forms = await campaignForms(c.env, campaignIdParam(c));
    return c.json(forms.map((f) => ({ formName: f.formName, formId: f.formId, fields: f.fields.map((x) => x.key) })) satisfies Fields);
  });
}

catalog.get(`/${ID}/links`, requireCampaignKey, async (c) => {
  const links = await campaignLinks(c.env, campaignIdParam(c));
  return c.json(links.map((l) => ({ id: l.id, name: l.name, channel: l.channel, destination: l.destination })));
});
