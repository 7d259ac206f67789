import { sql } from "drizzle-orm";
import { LOG_TYPES, logs } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { dateFilter, enumValue, exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { leadVisible } from "./access";

// GET /api/v4/logs: Processr logs (type=processr) and provider logs (type=provider), the two log
// tabs of the Lead Data dialog. Publisher users see only logs of their own leads.
type Row = typeof logs.$inferSelect;

export const logResource = defineResource<Row>({
  type: "Log",
  path: "logs",
  title: "Log",
  description: "A Processr task or provider (integration/enrichment) call, in time order.",
  table: logs,
  id: logs.id,
  fields: {
    id: field("integer", (r) => r.id),
    type: field("string", (r) => r.type, { description: "processr or provider" }),
    lead: field({ link: "Lead" }, (r) => (r.leadId === null ? null : iri("leads", r.leadId))),
    campaign: field({ link: "Campaign" }, (r) => (r.campaignId === null ? null : iri("campaigns", r.campaignId))),
    campaignProcessrJob: field({ link: "CampaignProcessrJob" }, (r) =>
      r.campaignProcessrJobId === null ? null : iri("campaign-processr-jobs", r.campaignProcessrJobId)),
    level: field("string", (r) => r.level),
    message: field("string", (r) => r.message),
    context: field("json", (r) => r.context ?? null, { description: "Structured detail: provider request and response, job outcome, duration." }),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
  },
  filters: [
    exact("id", logs.id, intValue),
    exact("type", logs.type, enumValue(LOG_TYPES)),
    exact("lead.id", logs.leadId, intValue),
    exact("campaign.id", logs.campaignId, intValue),
    exact("level", logs.level, stringValue),
    orderFilter({ id: logs.id, createdTs: logs.createdTs }),
    dateFilter("createdTs", logs.createdTs),
  ],
  // Admins also see logs that belong to no lead (e.g. a provider test call); others only their leads'.
  base: (ctx) => (ctx.isAdmin ? sql`(${logs.leadId} IS NULL OR ${leadVisible(ctx, logs.leadId)})` : leadVisible(ctx, logs.leadId)),
  scope: () => undefined,
});
