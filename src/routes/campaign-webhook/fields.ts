import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { campaignForms, campaignLinks } from "../../leads/capture-catalog";
import { campaignIdParam, requireCampaignKey } from "./auth";

// The campaign webhook's read endpoints (digest §4): forms with their fields, and links.
export const catalog = new Hono<AppEnv>();

const ID = ":campaignId{[0-9]+}";

catalog.get(`/v2/${ID}/global-form/fields`, requireCampaignKey, async (c) => {
  const forms = await campaignForms(c.env, campaignIdParam(c));
  return c.json(forms.map((f) => ({ formName: f.formName, formId: f.formId, fields: f.fields })));
});

// The older variants: fields as plain posted names.
for (const path of [`/${ID}/global-form/fields`, `/${ID}/form/fields`]) {
  catalog.get(path, requireCampaignKey, async (c) => {
    const forms = await campaignForms(c.env, campaignIdParam(c));
    return c.json(forms.map((f) => ({ formName: f.formName, formId: f.formId, fields: f.fields.map((x) => x.key) })));
  });
}

catalog.get(`/${ID}/links`, requireCampaignKey, async (c) => {
  const links = await campaignLinks(c.env, campaignIdParam(c));
  return c.json(links.map((l) => ({ id: l.id, name: l.name, channel: l.channel, destination: l.destination })));
});
