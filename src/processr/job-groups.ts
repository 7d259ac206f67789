import { z } from "zod";
import { fieldName } from "./jobs/lib/config";
import { fieldValue, isBlank } from "./jobs/lib/fields";
import { q, qList } from "./jobs/lib/outcome";
import type { JobLead } from "./types";

// Job groups (Convertr's Processr job groups documentation): of the enabled jobs of a group, only
// the first by member position whose conditions the lead meets runs; the others are recorded as
// not run, saying why. The group's score stands for its members' own scores, so the group counts
// once in score and maxScore, and not at all when none of its jobs runs. A member that runs
// keeps its own hardfail setting (a group has only a name and a score). Selection reads only the
// lead's values, so it is decided before the jobs run.

/**
 * A member's conditions, as an admin writes them: each names a field and the values it may have,
 * as a list or `;`-separated as in Convertr's screen ("UK;GB"); every condition must hold, and a
 * member without conditions matches every lead (a group's fallback, placed last).
 */
export const jobGroupConditions = z
  .array(
    z.strictObject({
      field: fieldName,
      values: z
        .preprocess((v) => (typeof v === "string" ? v.split(";") : v), z.array(z.string().trim().max(255)))
        .transform((xs) => [...new Set(xs.filter((x) => x !== ""))])
        .pipe(z.array(z.string()).min(1, "give at least one value").max(200)),
    }),
  )
  .max(20);

export type JobGroupCondition = z.infer<typeof jobGroupConditions>[number];

/** The group columns of a campaign job row, null for a job in no group (loadLeads selects them). */
export interface JobGroupColumns {
  group_id: number | null;
  group_name: string | null;
  group_score: number | null;
  group_position: number | null;
  group_conditions: string | null;
}

/** Joined onto `campaign_processr_jobs j`: a membership counts only within the job's own campaign. */
export const JOB_GROUP_JOIN = `LEFT JOIN campaign_processr_job_group_jobs gj ON gj.campaign_processr_job_id = j.id
        LEFT JOIN campaign_processr_job_groups g ON g.id = gj.group_id AND g.campaign_id = j.campaign_id`;
export const JOB_GROUP_COLUMNS = `g.id AS group_id, g.name AS group_name, g.score AS group_score,
              gj.position AS group_position, gj.conditions AS group_conditions`;

interface GroupedJob extends JobGroupColumns {
  id: number;
  label: string;
  score: number;
  enabled: number;
}

/** Why a condition does not hold for the lead, or null when it holds. */
function unmet(lead: JobLead, c: JobGroupCondition): string | null {
  const { field, value } = fieldValue(lead, c.field);
  if (isBlank(value)) return `${q(field)} is empty`;
  const v = value!.trim().toLowerCase();
  if (c.values.some((x) => x.trim().toLowerCase() === v)) return null;
  return `${q(field)} is ${q(value!.trim())}, not ${c.values.length === 1 ? q(c.values[0]!) : `one of ${qList(c.values)}`}`;
}

/** Why the lead does not meet a member's conditions (every one must hold), or null when it does. */
export function unmetConditions(lead: JobLead, conditions: readonly JobGroupCondition[]): string | null {
  const reasons = conditions.map((c) => unmet(lead, c)).filter((r): r is string => r !== null);
  return reasons.length ? reasons.join("; ") : null;
}

const parseConditions = (raw: string | null): JobGroupCondition[] => (raw ? (JSON.parse(raw) as JobGroupCondition[]) : []);

/**
 * The campaign's jobs for one lead: members of a group carry their group's score, and `skip`
 * gives each member that must not run on this lead its not-run message. Jobs in no group are
 * returned as they are.
 */
export function applyJobGroups<J extends GroupedJob>(jobs: readonly J[], lead: JobLead): { jobs: J[]; skip: Map<number, string> } {
  const skip = new Map<number, string>();
  const members = new Map<number, J[]>();
  for (const j of jobs) {
    if (j.group_id === null || !j.enabled) continue;
    members.set(j.group_id, [...(members.get(j.group_id) ?? []), j]);
  }
  for (const list of members.values()) {
    list.sort((a, b) => a.group_position! - b.group_position! || a.id - b.id);
    const group = q(list[0]!.group_name!);
    const unmetBy = new Map(list.map((j) => [j.id, unmetConditions(lead, parseConditions(j.group_conditions))]));
    const chosen = list.find((j) => unmetBy.get(j.id) === null);
    for (const j of list) {
      if (j === chosen) continue;
      skip.set(
        j.id,
        chosen
          ? `Not run: job group ${group} chose ${q(chosen.label)} for this lead (the first of its jobs whose conditions the lead meets).`
          : `Not run: the lead meets the conditions of none of the jobs in job group ${group} (this job's: ${unmetBy.get(j.id)}).`,
      );
    }
  }
  return {
    jobs: jobs.map((j) => (j.group_id === null ? j : { ...j, score: j.group_score! })),
    skip,
  };
}
