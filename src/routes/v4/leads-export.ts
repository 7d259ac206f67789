import { type SQL, and, asc, desc, eq, gt, lt, ne, sql } from "drizzle-orm";
import { Hono } from "hono";
import { backfillDone } from "../../db/backfills";
import { campaignPublishers, campaigns, currencies, type Lead, leadDatas, leads, links, publishers } from "../../db/schema";
import type { AppEnv } from "../../env";
import { csvDownload, csvExportRoute } from "../../hydra/csv-export";
import { badFilter, type QueryParams } from "../../hydra/query";
import { type Ctx, type ResourceDef } from "../../hydra/resource";
import { typedCoreFieldsSql } from "../../leads/core-fields";
import { PLATFORM_DATA_NAMES, type PlatformDataName, platformLeadData } from "../../leads/platform-data";
import { baseCurrency, copiesOf, leadResource, typedFieldsOf } from "./leads";

// GET /api/v4/leads with `Accept: text/csv`: every lead the same request would list (the v4
// filters and the caller's scope, all pages), streamed as one CSV file. A first query collects
// the lead data names of the result (the columns); then the stream pulls bounded pages by keyset
// (id > last id), so memory stays one page whatever the size of the export.
//
// Columns: the Lead resource's scalar fields as the caller may read them (a publisher user gets
// neither the client's terms nor other publishers' leads: the same field list and scope as the
// JSON collection), then the meta fields of Convertr's exports, then one column per lead data
// name (a name taken by a field or meta column is exported as "leadData.<name>"). The platform
// lead data (emailDomain, createdDate, country, ip, userAgent) are meta columns showing what the
// JSON Lead shows: the captured value of that name if any, else the computed one. While migration
// 0046's backfill of the core-field copies is pending, a lead without a copy shows what capture
// would have copied, as the JSON Lead does (Extra["copies"], from the values read for its columns).

export const EXPORT_PAGE_SIZE = 1000;

type Extra = typeof leadResource extends ResourceDef<Lead, infer X> ? X : never;

interface ExportRow {
  lead: Lead;
  publisherName: string | null;
  campaignPublisherId: number | null;
  channel: string | null;
  data: string;
}

const SCALAR_RANGES = new Set(["string", "integer", "boolean", "dateTime", "money"]);

/** A lead's captured values (a Map: the names are captured data) and its platform values. */
interface RowValues {
  own: Map<string, string>;
  platform: Record<PlatformDataName, string>;
}

const platformMeta = (name: PlatformDataName): [string, (r: ExportRow, v: RowValues) => unknown] => [
  name,
  (_r, v) => v.own.get(name) ?? v.platform[name],
];
const PLATFORM_META: ReadonlySet<string> = new Set(PLATFORM_DATA_NAMES);

/** Meta fields (Convertr's Batch CSV meta fields) not already a field of the Lead resource. */
const META: [string, (r: ExportRow, v: RowValues) => unknown][] = [
  platformMeta("ip"),
  ["publisherId", (r) => r.lead.publisherId],
  ["publisherName", (r) => r.publisherName],
  ["campaignId", (r) => r.lead.campaignId],
  ["campaignPublisherId", (r) => r.campaignPublisherId],
  ["campaignFormId", (r) => r.lead.formId],
  ["channel", (r) => r.channel],
  platformMeta("emailDomain"),
  platformMeta("createdDate"),
  platformMeta("country"),
  platformMeta("userAgent"),
  ["leadStatus", (r) => r.lead.flag],
];

/** The lead rows of one page, after `cursor` in the export's order. */
function page(ctx: Ctx, where: SQL | undefined, descending: boolean, cursor: number | null) {
  const after = cursor === null ? undefined : descending ? lt(leads.id, cursor) : gt(leads.id, cursor);
  return ctx.db
    .select({
      lead: leads,
      publisherName: publishers.name,
      campaignPublisherId: campaignPublishers.id,
      channel: links.channel,
      // The captured values in the same round trip, as one JSON object per lead.
      data: sql<string>`(SELECT json_group_object(d.name, d.value) FROM ${leadDatas} d WHERE d.lead_id = ${leads.id} AND d.type <> 'system')`,
    })
    .from(leads)
    .leftJoin(publishers, eq(publishers.id, leads.publisherId))
    .leftJoin(campaignPublishers, and(eq(campaignPublishers.campaignId, leads.campaignId), eq(campaignPublishers.publisherId, leads.publisherId)))
    .leftJoin(links, eq(links.id, leads.linkId))
    .where(and(where, after))
    .orderBy(descending ? desc(leads.id) : asc(leads.id))
    .limit(EXPORT_PAGE_SIZE);
}

/** The CSV response: header row, then one record per lead, pulled page by page. */
async function exportLeads(ctx: Ctx, q: QueryParams): Promise<Response> {
  const def = leadResource;
  // Filters are parsed before anything is sent, so a bad one is still a Hydra 400.
  const where = and(def.base?.(ctx), ctx.isAdmin ? undefined : (def.scope(ctx) as SQL), ...def.filters.map((f) => f.where?.(q, ctx)));
  const order = q.one("order[id]")?.toLowerCase() ?? "asc";
  if (order !== "asc" && order !== "desc") throw badFilter("order[id]", "expected asc or desc");
  const descending = order === "desc";

  const fields = Object.entries(def.fields).filter(
    ([, f]) => typeof f.range === "string" && SCALAR_RANGES.has(f.range) && (ctx.isAdmin || !f.adminOnly),
  );
  const taken = new Set([...fields.map(([name]) => name), ...META.map(([name]) => name)]);
  const pending = !backfillDone("coreFields");
  // System values (leadHash, ...) are the meta columns already; the rest are what was captured.
  const [names, rates] = await ctx.db.batch([
    ctx.db
      .selectDistinct({ name: leadDatas.name })
      .from(leadDatas)
      .where(and(ne(leadDatas.type, "system"), sql`${leadDatas.leadId} IN (SELECT ${leads.id} FROM ${leads} WHERE ${where ?? sql`1`})`))
      .orderBy(leadDatas.name),
    ctx.db.select({ id: campaigns.id, rate: currencies.rateToBase }).from(campaigns).innerJoin(currencies, eq(currencies.id, campaigns.currencyId)),
  ]);
  // Every form's typed fields, for the copies, read only while they are pending: forms are few,
  // the export's leads may be many.
  const typedFields = pending
    ? typedFieldsOf((await ctx.db.all<{ form_id: number; field: string }>(sql.raw(typedCoreFieldsSql("(SELECT id AS form_id FROM forms)"))))
      .map((t) => ({ formId: t.form_id, field: t.field })))
    : undefined;
  // A captured platform name is shown in its meta column already.
  const dataNames = names.map((n) => n.name).filter((n) => !PLATFORM_META.has(n));
  const header = [
    ...fields.map(([name]) => name),
    ...META.map(([name]) => name),
    ...dataNames.map((n) => (taken.has(n) ? `leadData.${n}` : n)),
  ];
  let cursor: number | null = null;
  return csvDownload("leads.csv", header, EXPORT_PAGE_SIZE, async () => {
    const rows = (await page(ctx, where, descending, cursor)) as ExportRow[];
    cursor = rows.at(-1)?.lead.id ?? cursor;
    // Each lead's values parsed once, for its columns and its copies. Maps: the names are captured
    // data, never looked up on a plain object.
    const owns = new Map(rows.map((r) => [r.lead, new Map(Object.entries(JSON.parse(r.data) as Record<string, string>))]));
    // Per export page, so that its memo of converted amounts never grows with the export.
    const extra: Extra = {
      values: () => [], notes: new Map(), jobs: new Map(), base: baseCurrency(rates),
      copies: typedFields ? copiesOf((l) => owns.get(l)!, typedFields) : () => null,
    };
    return rows.map((r) => {
      const own = owns.get(r.lead)!;
      const values: RowValues = { own, platform: platformLeadData(r.lead) };
      return [
        ...fields.map(([, f]) => f.get(r.lead, extra, ctx)),
        ...META.map(([, get]) => get(r, values)),
        ...dataNames.map((n) => own.get(n)),
      ];
    });
  });
}

export const leadsExport = new Hono<AppEnv>();

// Registered before the Lead resource: a request that does not ask for CSV goes on to it.
csvExportRoute(leadsExport, "/leads", exportLeads);
