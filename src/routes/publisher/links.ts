import { Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../../auth/authenticate";
import type { AppEnv } from "../../env";
import { campaignLinks } from "../../leads/capture-catalog";
import { assertCampaignVisible, idParam } from "./access";

// GET /api/v2.4/publisher/links/{campaign_id} (Convertr's publisher API documentation).
export const links = new Hono<AppEnv>();

/** The campaign's links (the campaign webhook's /links answers the same). */
export const linksSchema = z.array(
  z.object({ channel: z.string(), destination: z.string(), id: z.number().int(), name: z.string() }),
);

links.get("/links/:campaignId", authenticate({ apiKey: true }), async (c) => {
  const campaignId = idParam(c.req.param("campaignId"));
  await assertCampaignVisible(c.env, c.var.principal, campaignId);
  const body: z.output<typeof linksSchema> = await campaignLinks(c.env, campaignId);
  return c.json(body);
});
