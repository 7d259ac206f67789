import { sql } from "drizzle-orm";
import { z } from "zod";
import { advertisers, currencies, leadFlagTypes, publishers } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";

// Reference resources: advertisers, publishers, currencies, lead flags and QA results.
const w = { writable: true };

type Adv = typeof advertisers.$inferSelect;
export const advertiserResource = defineResource<Adv>({
  type: "Advertiser",
  path: "advertisers",
  title: "Advertiser",
  description: "The client a campaign generates leads for.",
  table: advertisers,
  id: advertisers.id,
  fields: {
    id: field("integer", (a) => a.id),
    name: field("string", (a) => a.name, { ...w, required: true }),
    createdTs: field("dateTime", (a) => isoTs(a.createdTs)),
    updatedTs: field("dateTime", (a) => isoTs(a.updatedTs)),
  },
  filters: [exact("id", advertisers.id, intValue), exact("name", advertisers.name, stringValue), orderFilter({ id: advertisers.id, name: advertisers.name })],
  // A publisher user sees the advertisers of the campaigns it is on.
  scope: (ctx) => sql`EXISTS (SELECT 1 FROM campaigns c JOIN campaign_publishers cp ON cp.campaign_id = c.id
    WHERE c.advertiser_id = ${advertisers.id} AND c.deleted_ts IS NULL AND cp.publisher_id = ${ctx.publisherId})`,
  ...tableWrites({ table: advertisers, id: advertisers.id, shape: { name: z.string().trim().min(1).max(255) }, required: ["name"] }),
});

type Pub = typeof publishers.$inferSelect;
export const publisherResource = defineResource<Pub>({
  type: "Publisher",
  path: "publishers",
  title: "Publisher",
  description: "A source of leads: a network, an agency, a partner.",
  table: publishers,
  id: publishers.id,
  fields: {
    id: field("integer", (p) => p.id),
    name: field("string", (p) => p.name, { ...w, required: true }),
    createdTs: field("dateTime", (p) => isoTs(p.createdTs)),
    updatedTs: field("dateTime", (p) => isoTs(p.updatedTs)),
  },
  filters: [exact("id", publishers.id, intValue), exact("name", publishers.name, stringValue), orderFilter({ id: publishers.id, name: publishers.name })],
  scope: (ctx) => sql`${publishers.id} = ${ctx.publisherId}`,
  ...tableWrites({ table: publishers, id: publishers.id, shape: { name: z.string().trim().min(1).max(255) }, required: ["name"] }),
});

type Cur = typeof currencies.$inferSelect;
export const currencyResource = defineResource<Cur>({
  type: "Currency",
  path: "currencies",
  title: "Currency",
  description: "A currency with its rate to the enterprise's base currency.",
  table: currencies,
  id: currencies.id,
  fields: {
    id: field("integer", (c) => c.id),
    name: field("string", (c) => c.name),
    symbol: field("string", (c) => c.symbol),
    base: field("boolean", (c) => c.base),
    rateToBase: field("string", (c) => c.rateToBase),
  },
  filters: [exact("id", currencies.id, intValue), exact("name", currencies.name, stringValue), orderFilter({ id: currencies.id, name: currencies.name })],
  scope: () => undefined,
});

type Flag = typeof leadFlagTypes.$inferSelect;
const flagResource = (type: string, path: string, description: string) =>
  defineResource<Flag>({
    type,
    path,
    title: type,
    description,
    table: leadFlagTypes,
    id: leadFlagTypes.id,
    fields: { id: field("integer", (f) => f.id), name: field("string", (f) => f.name) },
    filters: [exact("id", leadFlagTypes.id, intValue), exact("name", leadFlagTypes.name, stringValue), orderFilter({ id: leadFlagTypes.id })],
    scope: () => undefined,
  });

export const leadFlagResource = flagResource("LeadFlag", "lead-flags", "A lead's current flag: 1 Valid, 2 Invalid, 3 Caution, 4 Test.");
export const leadQaResultResource = flagResource("LeadQaResult", "lead-qa-results", "The Processr's verdict on a lead: 1 Valid, 2 Invalid, 3 Caution, 4 Test.");
