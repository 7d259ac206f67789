import { sql } from "drizzle-orm";
import { z } from "zod";
import { campaigns, links } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { boolValue, exact, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { relation } from "../../hydra/write";
import { campaignLive, onCampaign } from "./access";

// /api/v4/campaign-links: a campaign's tracking links (channel, name, destination).
type Row = typeof links.$inferSelect;

const writes = tableWrites({
  table: links,
  id: links.id,
  shape: {
    campaign: relation("campaigns"),
    channel: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(255),
    destination: z.url({ protocol: /^https?$/ }).max(2000),
    enabled: z.boolean(),
  },
  required: ["campaign", "channel", "name", "destination"],
  rename: { campaign: "campaignId" },
  refs: (d) => [{ propertyPath: "campaign", path: "campaigns", table: campaigns, id: d.campaign, where: sql`deleted_ts IS NULL` }],
});

const w = { writable: true };
export const campaignLinkResource = defineResource<Row>({
  type: "CampaignLink",
  path: "campaign-links",
  title: "CampaignLink",
  description: "A campaign link: where a publisher sends traffic, per channel.",
  table: links,
  id: links.id,
  fields: {
    id: field("integer", (l) => l.id),
    campaign: field({ link: "Campaign" }, (l) => iri("campaigns", l.campaignId), { ...w, required: true }),
    channel: field("string", (l) => l.channel, { ...w, required: true }),
    name: field("string", (l) => l.name, { ...w, required: true }),
    destination: field("string", (l) => l.destination, { ...w, required: true }),
    enabled: field("boolean", (l) => l.enabled, w),
    createdTs: field("dateTime", (l) => isoTs(l.createdTs)),
    updatedTs: field("dateTime", (l) => isoTs(l.updatedTs)),
  },
  filters: [
    exact("id", links.id, intValue),
    exact("campaign.id", links.campaignId, intValue),
    exact("enabled", links.enabled, boolValue, { many: false }),
    orderFilter({ id: links.id, name: links.name }),
  ],
  base: () => campaignLive(links.campaignId),
  scope: (ctx) => onCampaign(ctx, links.campaignId),
  ...writes,
});
