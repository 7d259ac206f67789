import { sql } from "drizzle-orm";
import { z } from "zod";
import { campaignProcessrJobs, campaigns } from "../../db/schema";
import type { Violation } from "../../errors";
import { integrationJobs, isIntegrationJobType } from "../../integrations";
import { DELIVERY_LABEL } from "../../integrations/delivery-outcome";
import { PLATFORM_FIELDS } from "../../integrations/lead-values";
import { qaJobs } from "../../processr/jobs";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { relation, unprocessable, violations } from "../../hydra/write";
import { adminsOnly, campaignLive, onCampaign } from "./access";
import { embeddedMemberships, loadMemberships } from "./campaign-processr-job-group-jobs";

// /api/v4/campaign-processr-jobs: the QA and integration jobs of a campaign. The type must be a
// registered job (src/processr/jobs, src/integrations) and the config must parse with its schema.
type Row = typeof campaignProcessrJobs.$inferSelect;

const definition = (type: string) => qaJobs[type] ?? integrationJobs[type];

async function validateJob(ctx: Ctx, data: { campaign?: number; type?: string; config?: Record<string, unknown> }, id?: number) {
  let type = data.type;
  let config = data.config;
  let campaignId = data.campaign;
  if (id !== undefined && (type === undefined || config === undefined || campaignId === undefined)) {
    const current = await ctx.db.select().from(campaignProcessrJobs).where(sql`${campaignProcessrJobs.id} = ${id}`).get();
    type ??= current!.type;
    config ??= current!.config;
    campaignId ??= current!.campaignId;
  }
  if (type === undefined) return;
  const def = definition(type);
  if (!def) {
    const known = [...Object.keys(qaJobs), ...Object.keys(integrationJobs)].sort().join(", ");
    throw unprocessable([{ propertyPath: "type", message: `Unknown job type "${type}". Known types: ${known}.` }]);
  }
  const parsed = def.configSchema.safeParse(config ?? {});
  if (!parsed.success) {
    throw unprocessable(violations(parsed.error.issues).map((v): Violation => ({ ...v, propertyPath: v.propertyPath ? `config.${v.propertyPath}` : "config" })));
  }
  // Jobs that can check their config against the destination (integrations) or the database (QA
  // jobs naming other resources) do so when it is saved.
  const integration = Object.hasOwn(integrationJobs, type) ? integrationJobs[type] : undefined;
  const qa = Object.hasOwn(qaJobs, type) ? qaJobs[type] : undefined;
  const problems =
    integration?.checkConfig && campaignId !== undefined
      ? await integration.checkConfig(ctx.env, parsed.data, await localFieldNames(ctx, campaignId))
      : ((await qa?.checkConfig?.(ctx.env, parsed.data)) ?? []);
  if (problems.length) throw unprocessable(problems.map((v) => ({ ...v, propertyPath: `config.${v.propertyPath}` })));
}

/** The field names a campaign's forms capture, plus the platform fields a field map may name. */
async function localFieldNames(ctx: Ctx, campaignId: number): Promise<Set<string>> {
  const { results } = await ctx.env.DB.prepare("SELECT DISTINCT ff.name FROM form_fields ff JOIN forms f ON f.id = ff.form_id WHERE f.campaign_id = ?")
    .bind(campaignId)
    .all<{ name: string }>();
  return new Set([...results.map((r) => r.name), ...PLATFORM_FIELDS]);
}

const writes = tableWrites({
  table: campaignProcessrJobs,
  id: campaignProcessrJobs.id,
  shape: {
    campaign: relation("campaigns"),
    type: z.string().min(1).max(100),
    label: z.string().trim().min(1).max(255),
    score: z.number().int().min(0).max(1000),
    hardfail: z.boolean(),
    enabled: z.boolean(),
    position: z.number().int().min(0).max(10_000),
    config: z.record(z.string(), z.unknown()),
  },
  required: ["campaign", "type", "label"],
  rename: { campaign: "campaignId" },
  refs: (d) => [{ propertyPath: "campaign", path: "campaigns", table: campaigns, id: d.campaign, where: sql`deleted_ts IS NULL` }],
  validate: validateJob,
  onInsert: (_ctx, d) => ({
    config: d.config ?? {},
    // A job added without a position goes after the campaign's jobs, as an added step is expected
    // to: a new integration then delivers after the checks and the integrations already there.
    position: d.position ?? sql`(SELECT COALESCE(MAX(${campaignProcessrJobs.position}) + 1, 0) FROM ${campaignProcessrJobs} WHERE ${campaignProcessrJobs.campaignId} = ${d.campaign})`,
  }),
});

const w = { writable: true };
// How the client scores leads is the client's business, like its commercial terms.
const rules = adminsOnly("Part of the client's lead scoring rules");
export const campaignProcessrJobResource = defineResource<Row, Awaited<ReturnType<typeof loadMemberships>>>({
  type: "CampaignProcessrJob",
  path: "campaign-processr-jobs",
  title: "CampaignProcessrJob",
  description: "A Processr job on a campaign: type, label, score, hardfail, order and per-type config.",
  table: campaignProcessrJobs,
  id: campaignProcessrJobs.id,
  fields: {
    id: field("integer", (j) => j.id),
    campaign: field({ link: "Campaign" }, (j) => iri("campaigns", j.campaignId), { ...w, required: true }),
    type: field("string", (j) => j.type, { ...w, required: true }),
    processrJob: field("json", (j) => {
      const d = definition(j.type);
      return { id: d?.catalogueId ?? null, name: d?.name ?? j.type, kind: d?.kind ?? null };
    }, { description: "The job type: Convertr catalogue id (where it has one), name, kind (qa or integration)." }),
    // Publishers see the labels their leads' results and log lines quote (as the publisher API's lead
    // result does), except an integration's, which names the client's CRM.
    label: field("string", (j, _x, ctx) => (ctx.isAdmin || !isIntegrationJobType(j.type) ? j.label : DELIVERY_LABEL), {
      ...w,
      required: true,
      description: `The job's name on the campaign; for a publisher user, an integration job's reads "${DELIVERY_LABEL}"`,
    }),
    score: field("integer", (j) => j.score, { ...w, ...rules }),
    hardfail: field("boolean", (j) => j.hardfail, { ...w, ...rules }),
    enabled: field("boolean", (j) => j.enabled, w),
    position: field("integer", (j) => j.position, w),
    config: field("json", (j) => j.config, { ...w, ...adminsOnly("The job's settings, which for an integration include the client's CRM URL and credentials") }),
    campaignProcessrJobGroupJob: field({ embedMany: "CampaignProcessrJobGroupJob" }, (j, x, ctx) => embeddedMemberships(x.get(j.id), ctx), {
      description: "Its job group membership, if any (edited through /api/v4/campaign-processr-job-group-jobs); in a group, the group's score counts instead of the job's.",
    }),
    createdTs: field("dateTime", (j) => isoTs(j.createdTs)),
    updatedTs: field("dateTime", (j) => isoTs(j.updatedTs)),
  },
  load: (ctx, rows) => loadMemberships(ctx, rows.map((j) => j.id)),
  filters: [
    exact("id", campaignProcessrJobs.id, intValue),
    exact("campaign.id", campaignProcessrJobs.campaignId, intValue),
    exact("type", campaignProcessrJobs.type, stringValue),
    orderFilter({ id: campaignProcessrJobs.id, position: campaignProcessrJobs.position }),
  ],
  defaultOrder: [sql`${campaignProcessrJobs.campaignId}`, sql`${campaignProcessrJobs.position}`],
  base: () => campaignLive(campaignProcessrJobs.campaignId),
  scope: (ctx) => onCampaign(ctx, campaignProcessrJobs.campaignId),
  ...writes,
});
