import { sql } from "drizzle-orm";
import { z } from "zod";
import { campaignProcessrJobGroupJobs, campaignProcessrJobGroups, campaignProcessrJobs } from "../../db/schema";
import type { Violation } from "../../errors";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, inList, intValue, orderFilter } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";
import { isIntegrationJobType } from "../../integrations";
import { jobGroupConditions } from "../../processr/job-groups";
import { adminsOnly, campaignLive, onCampaign } from "./access";

// /api/v4/campaign-processr-job-group-jobs (Convertr's campaignProcessrJobGroupJob): a QA job's
// place in a job group of its own campaign, with the conditions under which it is the one that
// runs. A job is in at most one group.
type Row = typeof campaignProcessrJobGroupJobs.$inferSelect;

type Data = { campaignProcessrJobGroup?: number; campaignProcessrJob?: number };

/** The group and the job must be on the same campaign, the job a QA job in no other group. */
async function validateMember(ctx: Ctx, data: Data, id?: number) {
  const current = id === undefined ? undefined : await ctx.db.select().from(campaignProcessrJobGroupJobs).where(sql`${campaignProcessrJobGroupJobs.id} = ${id}`).get();
  const groupId = data.campaignProcessrJobGroup ?? current?.groupId;
  const jobId = data.campaignProcessrJob ?? current?.campaignProcessrJobId;
  const [group, job, other] = await ctx.db.batch([
    ctx.db.select({ campaignId: campaignProcessrJobGroups.campaignId, name: campaignProcessrJobGroups.name })
      .from(campaignProcessrJobGroups).where(sql`${campaignProcessrJobGroups.id} = ${groupId ?? 0}`),
    ctx.db.select({ campaignId: campaignProcessrJobs.campaignId, type: campaignProcessrJobs.type })
      .from(campaignProcessrJobs).where(sql`${campaignProcessrJobs.id} = ${jobId ?? 0}`),
    ctx.db.select({ id: campaignProcessrJobGroupJobs.id }).from(campaignProcessrJobGroupJobs)
      .where(sql`${campaignProcessrJobGroupJobs.campaignProcessrJobId} = ${jobId ?? 0} AND ${campaignProcessrJobGroupJobs.id} <> ${id ?? 0}`),
  ]);
  const problems: Violation[] = [];
  if (!group[0]) problems.push({ propertyPath: "campaignProcessrJobGroup", message: `Item not found for "${iri("campaign-processr-job-groups", groupId ?? 0)}".` });
  if (!job[0]) problems.push({ propertyPath: "campaignProcessrJob", message: `Item not found for "${iri("campaign-processr-jobs", jobId ?? 0)}".` });
  if (group[0] && job[0] && group[0].campaignId !== job[0].campaignId) {
    problems.push({ propertyPath: "campaignProcessrJob", message: `The job is on campaign ${job[0].campaignId}, the group on campaign ${group[0].campaignId}.` });
  }
  if (job[0] && isIntegrationJobType(job[0].type)) {
    problems.push({ propertyPath: "campaignProcessrJob", message: "Integration jobs deliver Valid leads and cannot be in a job group; only QA jobs can." });
  }
  if (other[0]) {
    problems.push({ propertyPath: "campaignProcessrJob", message: `The job is already in a job group (${iri("campaign-processr-job-group-jobs", other[0].id)}).` });
  }
  if (problems.length) throw unprocessable(problems);
}

const writes = tableWrites({
  table: campaignProcessrJobGroupJobs,
  id: campaignProcessrJobGroupJobs.id,
  shape: {
    campaignProcessrJobGroup: relation("campaign-processr-job-groups"),
    campaignProcessrJob: relation("campaign-processr-jobs"),
    position: z.number().int().min(0).max(10_000),
    conditions: jobGroupConditions,
  },
  required: ["campaignProcessrJobGroup", "campaignProcessrJob"],
  rename: { campaignProcessrJobGroup: "groupId", campaignProcessrJob: "campaignProcessrJobId" },
  validate: validateMember,
  // Another request may add the same job between the check and the insert: the unique key decides.
  uniqueProperty: "campaignProcessrJob",
});

/** The member's campaign: its group's. */
const groupCampaign = sql`(SELECT g.campaign_id FROM campaign_processr_job_groups g WHERE g.id = ${campaignProcessrJobGroupJobs.groupId})`;

const w = { writable: true };
export const campaignProcessrJobGroupJobResource = defineResource<Row>({
  type: "CampaignProcessrJobGroupJob",
  path: "campaign-processr-job-group-jobs",
  title: "CampaignProcessrJobGroupJob",
  description: "A QA job's place in a job group: its position and the conditions under which it is the job of the group that runs on a lead.",
  table: campaignProcessrJobGroupJobs,
  id: campaignProcessrJobGroupJobs.id,
  fields: {
    id: field("integer", (m) => m.id),
    campaignProcessrJobGroup: field({ link: "CampaignProcessrJobGroup" }, (m) => iri("campaign-processr-job-groups", m.groupId), { ...w, required: true }),
    campaignProcessrJob: field({ link: "CampaignProcessrJob" }, (m) => iri("campaign-processr-jobs", m.campaignProcessrJobId), {
      ...w,
      required: true,
      description: "A QA job of the group's campaign, in no other group.",
    }),
    position: field("integer", (m) => m.position, { ...w, description: "The order in which the group's jobs are tried (then by id)." }),
    conditions: field("json", (m) => m.conditions, {
      ...w,
      ...adminsOnly(
        'Rows of { field, values }: the lead\'s field (trimmed, case-insensitive) is one of the values (a list or ";"-separated); all must hold, none matches every lead. Part of the client\'s lead scoring rules',
      ),
    }),
    createdTs: field("dateTime", (m) => isoTs(m.createdTs)),
    updatedTs: field("dateTime", (m) => isoTs(m.updatedTs)),
  },
  filters: [
    exact("id", campaignProcessrJobGroupJobs.id, intValue),
    exact("campaignProcessrJobGroup.id", campaignProcessrJobGroupJobs.groupId, intValue),
    exact("campaignProcessrJob.id", campaignProcessrJobGroupJobs.campaignProcessrJobId, intValue),
    orderFilter({ id: campaignProcessrJobGroupJobs.id, position: campaignProcessrJobGroupJobs.position }),
  ],
  defaultOrder: [sql`${campaignProcessrJobGroupJobs.groupId}`, sql`${campaignProcessrJobGroupJobs.position}`, sql`${campaignProcessrJobGroupJobs.id}`],
  base: () => campaignLive(groupCampaign),
  scope: (ctx) => onCampaign(ctx, groupCampaign),
  ...writes,
});

interface Membership {
  member: Row;
  group: { id: number; name: string; score: number };
}

/** The group memberships of a page of campaign jobs (at most one each), by job id. */
export async function loadMemberships(ctx: Ctx, jobIds: number[]): Promise<Map<number, Membership>> {
  const rows = await ctx.db
    .select({ member: campaignProcessrJobGroupJobs, group: { id: campaignProcessrJobGroups.id, name: campaignProcessrJobGroups.name, score: campaignProcessrJobGroups.score } })
    .from(campaignProcessrJobGroupJobs)
    .innerJoin(campaignProcessrJobGroups, sql`${campaignProcessrJobGroups.id} = ${campaignProcessrJobGroupJobs.groupId}`)
    .where(inList(campaignProcessrJobGroupJobs.campaignProcessrJobId, jobIds));
  return new Map(rows.map((r) => [r.member.campaignProcessrJobId, r]));
}

/**
 * A campaign job's campaignProcessrJobGroupJob[] (Convertr's CampaignProcessrJob has it): its
 * membership with the group embedded; the group's name and score and the conditions for admins only.
 */
export function embeddedMemberships(m: Membership | undefined, ctx: Ctx): Record<string, unknown>[] {
  if (!m) return [];
  const admin = <T extends object>(o: T) => (ctx.isAdmin ? o : {});
  return [{
    "@id": iri("campaign-processr-job-group-jobs", m.member.id),
    "@type": "CampaignProcessrJobGroupJob",
    campaignProcessrJobGroup: {
      "@id": iri("campaign-processr-job-groups", m.group.id),
      "@type": "CampaignProcessrJobGroup",
      ...admin({ name: m.group.name, score: m.group.score }),
    },
    position: m.member.position,
    ...admin({ conditions: m.member.conditions }),
  }];
}
