import { Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { campaignForms } from "../../leads/capture-catalog";
import { assertCampaignVisible, idParam } from "./access";

// GET /api/v2.4/publisher/fields/{campaign_id} (Convertr's publisher API documentation).
export const fields = new Hono<AppEnv>();

/** Each of the campaign's forms with the names to post its fields under. */
export const publisherFieldsSchema = z.array(
  z.object({ fields: z.array(z.string()), formId: z.number().int(), formName: z.string() }),
);

fields.get("/fields/:campaignId", authenticate({ apiKey: true }), async (c) => {
  const campaignId = idParam(c.req.param("campaignId"));
  await assertCampaignVisible(c.env, c.var.principal, campaignId);
  const forms = await campaignForms(c.env, campaignId);
  const body: z.output<typeof publisherFieldsSchema> = forms.map((f) => ({ fields: f.fields.map((x) => x.key), formId: f.formId, formName: f.formName }));
  return c.json(body);
});
