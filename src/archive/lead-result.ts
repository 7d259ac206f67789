import type { Lead } from "../db/schema";
import type { Env } from "../env";
import type { TrailJobResult } from "../processr/trail";
import { jobResultsOf } from "./format";
import { leadOf } from "./lead-routes";
import { readArchivedLead } from "./restore";

// The publisher API's lead result (src/routes/publisher/lead-result.ts) of an archived lead: what
// it reads from D1 for a lead there, read from the lead's archive file instead; reading does not
// restore it.

export interface ArchivedJob extends Pick<TrailJobResult, "jobId" | "status" | "score" | "message" | "detail"> {
  type: string;
  label: string;
}

/** A publisher's archived, not deleted lead and its job results (by the jobs' position), or null. */
export async function archivedLeadResult(env: Pick<Env, "DB" | "ARCHIVE">, leadId: number, publisherId: number): Promise<{ lead: Lead; jobs: ArchivedJob[] } | null> {
  const archived = await readArchivedLead(env, leadId);
  if (!archived || archived.publisher_id !== publisherId) return null;
  const lead = leadOf(archived.rows.leads[0]!);
  if (lead.deletedTs !== null) return null;
  const results = jobResultsOf(archived);
  const { results: jobs } = await env.DB.prepare(
    `SELECT id, type, label, position FROM campaign_processr_jobs WHERE id IN (SELECT value FROM json_each(?1))`,
  ).bind(JSON.stringify(results.map((r) => r.jobId))).all<{ id: number; type: string; label: string; position: number }>();
  const byId = new Map(jobs.map((j) => [j.id, j]));
  // As the D1 read: results of jobs that no longer exist are left out; in the jobs' order.
  const found = results.flatMap(({ jobId, status, score, message, detail }) => {
    const job = byId.get(jobId);
    return job ? [{ jobId, status, score, message, detail, type: job.type, label: job.label, position: job.position }] : [];
  });
  found.sort((a, b) => a.position - b.position || a.jobId - b.jobId);
  return { lead, jobs: found.map(({ position: _p, ...j }) => j) };
}
