import { eq, sql } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../../auth/authenticate";
import { randomHex } from "../../auth/crypto";
import { campaignPublishers, campaigns, publishers } from "../../db/schema";
import type { AppEnv } from "../../env";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri, ld } from "../../hydra/jsonld";
import { exact, inList, intValue, orderFilter } from "../../hydra/query";
import { context, defineResource, field, findRow, itemBody, requireAdminCtx } from "../../hydra/resource";
import { money, relation } from "../../hydra/write";
import { campaignLive } from "./access";
import { contractNotes } from "./campaign-publisher-notes";

// /api/v4/campaign-publishers: a publisher's contract on a campaign, with its API key and its
// landing-page key for the campaign webhook (both from a CSPRNG; visible to admins and to that
// publisher), allocation and payout. POST …/{id}/rotate-key and …/{id}/rotate-webhook-key replace
// a key at once (the old one stops working).
type Row = typeof campaignPublishers.$inferSelect & { publisherName?: string };

const writes = tableWrites({
  table: campaignPublishers,
  id: campaignPublishers.id,
  shape: {
    campaign: relation("campaigns"),
    publisher: relation("publishers"),
    cap: z.number().int().min(0).nullable(),
    payoutAmount: money.nullable(),
    signed: z.boolean(),
  },
  required: ["campaign", "publisher"],
  rename: { campaign: "campaignId", publisher: "publisherId" },
  refs: (d) => [
    { propertyPath: "campaign", path: "campaigns", table: campaigns, id: d.campaign, where: sql`deleted_ts IS NULL` },
    { propertyPath: "publisher", path: "publishers", table: publishers, id: d.publisher },
  ],
  onInsert: () => ({ apiKey: randomHex(), webhookKey: randomHex() }),
  uniqueProperty: "publisher",
  audit: contractNotes,
});

const w = { writable: true };
export const campaignPublisherResource = defineResource<Row, Map<number, string>>({
  type: "CampaignPublisher",
  path: "campaign-publishers",
  title: "CampaignPublisher",
  description: "A publisher's contract on a campaign: API key, allocation (cap), payout, signature.",
  table: campaignPublishers,
  id: campaignPublishers.id,
  fields: {
    id: field("integer", (r) => r.id),
    campaign: field({ link: "Campaign" }, (r) => iri("campaigns", r.campaignId), { ...w, required: true }),
    publisher: field({ embed: "Publisher" }, (r, names) => ({
      "@id": iri("publishers", r.publisherId), "@type": "Publisher", id: r.publisherId, name: names.get(r.publisherId) ?? null,
    }), { ...w, required: true }),
    apiKey: field("string", (r) => r.apiKey, { description: "Publisher API key (X-Api-Key); rotate with POST /api/v4/campaign-publishers/{id}/rotate-key." }),
    webhookKey: field("string", (r) => r.webhookKey, {
      description: "Landing-page key for the campaign webhook (?apikey=): its leads go to this publisher only; rotate with POST /api/v4/campaign-publishers/{id}/rotate-webhook-key.",
    }),
    cap: field("integer", (r) => r.cap, { ...w, description: "Allocation in billable leads; null = uncapped." }),
    payoutAmount: field("money", (r) => r.payoutAmount, w),
    signed: field("boolean", (r) => r.signed, w),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
    updatedTs: field("dateTime", (r) => isoTs(r.updatedTs)),
  },
  filters: [
    exact("id", campaignPublishers.id, intValue),
    exact("campaign.id", campaignPublishers.campaignId, intValue),
    exact("publisher.id", campaignPublishers.publisherId, intValue),
    orderFilter({ id: campaignPublishers.id }),
  ],
  base: () => campaignLive(campaignPublishers.campaignId),
  scope: (ctx) => sql`${campaignPublishers.publisherId} = ${ctx.publisherId}`,
  async load(ctx, rows) {
    const ids = [...new Set(rows.map((r) => r.publisherId))];
    const list = await ctx.db.select({ id: publishers.id, name: publishers.name }).from(publishers).where(inList(publishers.id, ids));
    return new Map(list.map((p) => [p.id, p.name]));
  },
  ...writes,
});

// The rotation actions, by path segment and the key each replaces.
const ROTATIONS = [
  ["rotate-key", "apiKey"],
  ["rotate-webhook-key", "webhookKey"],
] as const;

export function mountCampaignPublisherRotate(app: Hono<AppEnv>) {
  for (const [action, column] of ROTATIONS) {
    app.post(`/campaign-publishers/:id{[0-9]+}/${action}`, authenticate(), async (c) => {
      const ctx = context(c);
      const id = Number(c.req.param("id"));
      await findRow(campaignPublisherResource, ctx, id);
      requireAdminCtx(ctx);
      await ctx.db.update(campaignPublishers).set({ [column]: randomHex(), updatedTs: ctx.now }).where(eq(campaignPublishers.id, id));
      return ld(c, await itemBody(campaignPublisherResource, ctx, id));
    });
  }
}
