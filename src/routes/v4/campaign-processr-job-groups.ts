import { asc, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { campaignProcessrJobGroupJobs, campaignProcessrJobGroups, campaignProcessrJobs, campaigns } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, inList, intValue, orderFilter } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";
import { adminsOnly, campaignLive, onCampaign } from "./access";

// /api/v4/campaign-processr-job-groups: a campaign's job groups (Convertr's "Manage Groups"): a
// name and a score. Its jobs join it through /api/v4/campaign-processr-job-group-jobs; deleting a
// group takes its jobs out of it (the jobs stay on the campaign).
type Row = typeof campaignProcessrJobGroups.$inferSelect;

/** A group stays on its campaign: its members are that campaign's jobs. */
async function keepCampaign(ctx: Ctx, data: { campaign?: number }, id?: number) {
  if (id === undefined || data.campaign === undefined) return;
  const current = await ctx.db.select({ campaignId: campaignProcessrJobGroups.campaignId }).from(campaignProcessrJobGroups)
    .where(sql`${campaignProcessrJobGroups.id} = ${id}`).get();
  if (current && current.campaignId !== data.campaign) {
    throw unprocessable([{ propertyPath: "campaign", message: "A job group cannot move to another campaign; create one there instead." }]);
  }
}

const writes = tableWrites({
  table: campaignProcessrJobGroups,
  id: campaignProcessrJobGroups.id,
  shape: {
    campaign: relation("campaigns"),
    name: z.string().trim().min(1).max(255),
    score: z.number().int().min(0).max(1000),
  },
  required: ["campaign", "name", "score"],
  rename: { campaign: "campaignId" },
  refs: (d) => [{ propertyPath: "campaign", path: "campaigns", table: campaigns, id: d.campaign, where: sql`deleted_ts IS NULL` }],
  validate: keepCampaign,
});

/** The members of a page of groups, in position order. */
async function load(ctx: Ctx, rows: Row[]): Promise<Map<number, number[]>> {
  const members = await ctx.db
    .select({ id: campaignProcessrJobGroupJobs.id, groupId: campaignProcessrJobGroupJobs.groupId })
    .from(campaignProcessrJobGroupJobs)
    .where(inList(campaignProcessrJobGroupJobs.groupId, rows.map((r) => r.id)))
    .orderBy(asc(campaignProcessrJobGroupJobs.position), asc(campaignProcessrJobGroupJobs.id));
  const out = new Map<number, number[]>();
  for (const m of members) out.set(m.groupId, [...(out.get(m.groupId) ?? []), m.id]);
  return out;
}

const w = { writable: true };
// Like a job's label and score: part of how the client scores leads.
const rules = adminsOnly("Part of the client's lead scoring rules");
export const campaignProcessrJobGroupResource = defineResource<Row, Map<number, number[]>>({
  type: "CampaignProcessrJobGroup",
  path: "campaign-processr-job-groups",
  title: "CampaignProcessrJobGroup",
  description:
    "A job group on a campaign: of its jobs at most one runs on a lead (the first, by position, whose conditions the lead meets), and the group's score counts once in place of theirs.",
  table: campaignProcessrJobGroups,
  id: campaignProcessrJobGroups.id,
  fields: {
    id: field("integer", (g) => g.id),
    campaign: field({ link: "Campaign" }, (g) => iri("campaigns", g.campaignId), { ...w, required: true, description: "Set on create; a group cannot move." }),
    name: field("string", (g) => g.name, { ...w, ...rules, required: true }),
    score: field("integer", (g) => g.score, {
      ...w,
      ...rules,
      required: true,
      description: "Counted once in score and maxScore when one of its jobs runs (its jobs' own scores are not), not at all when none does (admins only).",
    }),
    campaignProcessrJobGroupJobs: field({ links: "CampaignProcessrJobGroupJob" }, (g, x) =>
      (x.get(g.id) ?? []).map((id) => iri("campaign-processr-job-group-jobs", id)), { description: "Its jobs, in position order." }),
    createdTs: field("dateTime", (g) => isoTs(g.createdTs)),
    updatedTs: field("dateTime", (g) => isoTs(g.updatedTs)),
  },
  filters: [
    exact("id", campaignProcessrJobGroups.id, intValue),
    exact("campaign.id", campaignProcessrJobGroups.campaignId, intValue),
    orderFilter({ id: campaignProcessrJobGroups.id }),
  ],
  defaultOrder: [sql`${campaignProcessrJobGroups.campaignId}`, sql`${campaignProcessrJobGroups.id}`],
  load,
  base: () => campaignLive(campaignProcessrJobGroups.campaignId),
  scope: (ctx) => onCampaign(ctx, campaignProcessrJobGroups.campaignId),
  ...writes,
});

/**
 * Inserts that give a campaign's copy the source's job groups and memberships, given the copied
 * jobs' new ids (without them, the copy's jobs would score on their own). Groups take ids after
 * the highest, like the copy's other rows: a concurrent copy fails on the key and nothing is written.
 */
export async function jobGroupCopies(db: Ctx["db"], sourceId: number, copyId: number, jobIds: Map<number, number>, now: number) {
  const [groups, members, max] = await db.batch([
    db.select().from(campaignProcessrJobGroups).where(sql`${campaignProcessrJobGroups.campaignId} = ${sourceId}`).orderBy(asc(campaignProcessrJobGroups.id)),
    db.select({ m: campaignProcessrJobGroupJobs }).from(campaignProcessrJobGroupJobs)
      .innerJoin(campaignProcessrJobGroups, sql`${campaignProcessrJobGroups.id} = ${campaignProcessrJobGroupJobs.groupId}`)
      .where(sql`${campaignProcessrJobGroups.campaignId} = ${sourceId}`),
    db.select({ id: sql<number>`coalesce(max(${campaignProcessrJobGroups.id}), 0)` }).from(campaignProcessrJobGroups),
  ]);
  const groupIds = new Map(groups.map((g, i) => [g.id, max[0]!.id + 1 + i]));
  return [
    ...groups.map((g) => db.insert(campaignProcessrJobGroups).values({ id: groupIds.get(g.id)!, campaignId: copyId, name: g.name, score: g.score, createdTs: now, updatedTs: now })),
    ...members.flatMap(({ m }) => {
      const jobId = jobIds.get(m.campaignProcessrJobId);
      return jobId === undefined
        ? []
        : [db.insert(campaignProcessrJobGroupJobs).values({ groupId: groupIds.get(m.groupId)!, campaignProcessrJobId: jobId, position: m.position, conditions: m.conditions, createdTs: now, updatedTs: now })];
    }),
  ];
}

/**
 * The Campaign's combinedJobScore over its enabled jobs grouped by campaign: a job's score, or,
 * for a job in a group, its group's score once (a group counts as a lead's one run of it would).
 */
export function combinedJobScoreSql(jobs: typeof campaignProcessrJobs): SQL<number> {
  const grouped = sql`EXISTS (SELECT 1 FROM campaign_processr_job_group_jobs gj JOIN campaign_processr_job_groups g ON g.id = gj.group_id
    WHERE gj.campaign_processr_job_id = ${jobs.id} AND g.campaign_id = ${jobs.campaignId})`;
  const groups = sql`(SELECT coalesce(sum(g.score), 0) FROM campaign_processr_job_groups g WHERE g.campaign_id = ${jobs.campaignId}
    AND EXISTS (SELECT 1 FROM campaign_processr_job_group_jobs gj JOIN campaign_processr_jobs m ON m.id = gj.campaign_processr_job_id
      WHERE gj.group_id = g.id AND m.enabled = 1))`;
  return sql<number>`sum(CASE WHEN ${grouped} THEN 0 ELSE ${jobs.score} END) + ${groups}`;
}
