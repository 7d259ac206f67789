import type { JobRecord } from "./api";

/**
 * Under a job's name on the Processr screen: the job group it is in, the group's score (which
 * counts instead of the job's own), its position in the group and its conditions (of a group's
 * jobs, the first by position whose conditions the lead meets is the one that runs).
 */
export function JobGroupNote({ job }: { job: JobRecord }) {
  const membership = job.campaignProcessrJobGroupJob?.[0];
  if (!membership) return null;
  const { name, score } = membership.campaignProcessrJobGroup;
  const conditions = membership.conditions ?? [];
  const when = conditions.length
    ? conditions.map((c) => `${c.field} is ${c.values.join(" or ")}`).join(" and ")
    : "no conditions (matches every lead)";
  return (
    <div data-job-group aria-label={`Job group of ${job.label}`}>
      <small>Group “{name}” (score {score}, counted instead of the job's), position {membership.position}: {when}</small>
    </div>
  );
}
