import { sql } from "drizzle-orm";
import { campaignNotes } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { dateFilter, exact, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { campaignLive } from "./access";

// GET /api/v4/campaign-notes: contract changes of a campaign's publishers (created, signed,
// unsigned, allocation changed), written with each change (src/routes/v4/campaign-publisher-notes.ts).
// A publisher user reads the notes of its own contracts.
type Row = typeof campaignNotes.$inferSelect;

export const campaignNoteResource = defineResource<Row>({
  type: "CampaignNote",
  path: "campaign-notes",
  title: "CampaignNote",
  description: "A contract change recorded on a campaign: a publisher's contract created, signed, unsigned, or its allocation changed.",
  table: campaignNotes,
  id: campaignNotes.id,
  fields: {
    id: field("integer", (n) => n.id),
    campaign: field({ link: "Campaign" }, (n) => iri("campaigns", n.campaignId)),
    campaignPublisher: field({ link: "CampaignPublisher" }, (n) =>
      n.campaignPublisherId === null ? null : iri("campaign-publishers", n.campaignPublisherId)),
    user: field({ link: "User" }, (n) => (n.userId === null ? null : iri("users", n.userId))),
    author: field("string", (n) => n.author),
    note: field("string", (n) => n.note),
    createdTs: field("dateTime", (n) => isoTs(n.createdTs)),
  },
  filters: [
    exact("id", campaignNotes.id, intValue),
    exact("campaign.id", campaignNotes.campaignId, intValue),
    exact("campaignPublisher.id", campaignNotes.campaignPublisherId, intValue),
    orderFilter({ id: campaignNotes.id, createdTs: campaignNotes.createdTs }),
    dateFilter("createdTs", campaignNotes.createdTs),
  ],
  base: () => campaignLive(campaignNotes.campaignId),
  scope: (ctx) =>
    sql`EXISTS (SELECT 1 FROM campaign_publishers cp WHERE cp.id = ${campaignNotes.campaignPublisherId} AND cp.publisher_id = ${ctx.publisherId})`,
});
