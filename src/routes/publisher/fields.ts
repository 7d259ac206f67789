import { Hono } from "hono";
import { authenticate } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { campaignForms } from "../../leads/capture-catalog";
import { assertCampaignVisible, idParam } from "./access";

// GET /api/v2.4/publisher/fields/{campaign_id} (seed 001 §3.3).
export const fields = new Hono<AppEnv>();

fields.get("/fields/:campaignId", authenticate({ apiKey: true }), async (c) => {
  const campaignId = idParam(c.req.param("campaignId"));
  await assertCampaignVisible(c.env, c.var.principal, campaignId);
  const forms = await campaignForms(c.env, campaignId);
  return c.json(forms.map((f) => ({ fields: f.fields.map((x) => x.key), formId: f.formId, formName: f.formName })));
});
