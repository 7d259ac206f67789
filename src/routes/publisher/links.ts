import { Hono } from "hono";
import { authenticate } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { campaignLinks } from "../../leads/capture-catalog";
import { assertCampaignVisible, idParam } from "./access";

// GET /api/v2.4/publisher/links/{campaign_id} (seed 001 §3.4).
export const links = new Hono<AppEnv>();

links.get("/links/:campaignId", authenticate({ apiKey: true }), async (c) => {
  const campaignId = idParam(c.req.param("campaignId"));
  await assertCampaignVisible(c.env, c.var.principal, campaignId);
  return c.json(await campaignLinks(c.env, campaignId));
});
