import { expect } from "vitest";
import { rows } from "../leads/fixtures";
import { type Doc, get } from "./fixtures";

// processr_job_counts against what it counts, read from the views with every trail expanded: the
// oracle of the tests of the counts (test/v4/job-counts) and of their backfill (test/db/backfills).

/** processr_job_counts as the two collections count: results by status, log lines by type. */
export const COUNTED = `SELECT job, pub, kind, sum(n) AS n FROM (
    SELECT campaign_processr_job_id AS job, publisher_id AS pub,
           CASE WHEN kind LIKE 'log:%' THEN 'logs:' || substr(kind, 5) WHEN kind = 'trail:other' THEN 'logs:processr' ELSE 'results:' || substr(kind, instr(kind, ':') + 1) END AS kind, n
      FROM processr_job_counts
    UNION ALL SELECT campaign_processr_job_id, publisher_id, 'logs:processr', n FROM processr_job_counts WHERE kind LIKE 'trail:%' AND kind <> 'trail:other'
  ) GROUP BY job, pub, kind HAVING sum(n) <> 0 ORDER BY job, pub, kind`;
/** The same from the views, every trail expanded, on the leads a caller can see (lines without a lead: publisher 0). */
export const RECOUNT = `SELECT job, pub, kind, count(*) AS n FROM (
    SELECT r.campaign_processr_job_id AS job, l.publisher_id AS pub, 'results:' || r.status AS kind
      FROM processr_job_leads r JOIN leads l ON l.id = r.lead_id AND l.deleted_ts IS NULL
    UNION ALL SELECT g.campaign_processr_job_id, coalesce(l.publisher_id, 0), 'logs:' || g.type
      FROM logs g LEFT JOIN leads l ON l.id = g.lead_id
     WHERE g.campaign_processr_job_id IS NOT NULL AND (g.lead_id IS NULL OR l.deleted_ts IS NULL AND l.id IS NOT NULL)
  ) GROUP BY job, pub, kind ORDER BY job, pub, kind`;

/**
 * Trail lines outside the runs their row of processr_job_counts bounds (first_run, last_run), where
 * the walk would not look: each of a job's current results by status (its row trail:<status>),
 * each of its trail lines in the logs (one of its trail rows).
 */
export const UNBOUNDED = `WITH lines AS (
    SELECT r.campaign_processr_job_id AS job, l.publisher_id AS pub, 'results:' || r.status AS k, (SELECT min(id) FROM log_lines WHERE id >= r.id) AS run
      FROM processr_job_leads r JOIN leads l ON l.id = r.lead_id AND l.deleted_ts IS NULL WHERE NOT EXISTS (SELECT 1 FROM job_results j WHERE j.id = r.id)
    UNION ALL SELECT g.campaign_processr_job_id, l.publisher_id, 'logs', (SELECT min(id) FROM log_lines WHERE id >= g.id)
      FROM logs g JOIN leads l ON l.id = g.lead_id AND l.deleted_ts IS NULL
     WHERE g.campaign_processr_job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM log_lines o WHERE o.id = g.id AND o.trail IS NULL)
  ), bounds AS (
    SELECT campaign_processr_job_id AS job, publisher_id AS pub, 'results:' || substr(kind, 7) AS k, first_run, last_run FROM processr_job_counts
     WHERE kind LIKE 'trail:%' AND kind <> 'trail:other' AND n > 0
    UNION ALL SELECT campaign_processr_job_id, publisher_id, 'logs', first_run, last_run FROM processr_job_counts WHERE kind LIKE 'trail:%' AND n > 0
  ) SELECT * FROM lines u WHERE NOT EXISTS (SELECT 1 FROM bounds b WHERE b.job = u.job AND b.pub = u.pub AND b.k = u.k AND u.run BETWEEN b.first_run AND b.last_run)`;

export const expectRecount = async () => {
  expect(await rows(COUNTED)).toEqual(await rows(RECOUNT));
  expect(await rows(UNBOUNDED)).toEqual([]);
};

/** The callers of the pages: an admin and a user of each of two publishers. */
export const PUBLISHER = { admin: null, north: 12, agency: 13 } as const;
type Callers = Record<keyof typeof PUBLISHER, Record<string, string>>;

const visible = (who: keyof typeof PUBLISHER, alias: string) =>
  `(${alias}.lead_id IS NULL AND ${PUBLISHER[who] === null ? 1 : 0} OR EXISTS (SELECT 1 FROM leads l WHERE l.id = ${alias}.lead_id AND l.deleted_ts IS NULL${PUBLISHER[who] === null ? "" : ` AND l.publisher_id = ${PUBLISHER[who]}`}))`;

/** A collection's ids and total through the API, and the same from the view (the whole of it, sorted by SQLite). */
async function compare(callers: Callers, who: keyof typeof PUBLISHER, path: string, view: string, where: string, order: "ASC" | "DESC", page: number, perPage: number) {
  const { status, body } = await get(`/api/v4/${path}&itemsPerPage=${perPage}&page=${page}`, callers[who]);
  expect(status, path).toBe(200);
  const scoped = `${where} AND ${visible(who, "v")}${who === "admin" || view !== "logs" ? "" : " AND v.type = 'processr'"}`;
  const expected = await rows<{ id: number }>(`SELECT id FROM ${view} v WHERE ${scoped} ORDER BY id ${order} LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`);
  const [{ n }] = await rows<{ n: number }>(`SELECT count(*) AS n FROM ${view} v WHERE ${scoped}`);
  expect((body["hydra:member"] as Doc[]).map((m) => m.id), `${who} ${path} page ${page}`).toEqual(expected.map((r) => r.id));
  expect(body["hydra:totalItems"], `${who} ${path}`).toBe(n);
  return n;
}

/** Every job's pages of results and logs (by status, type, order and page) for each caller equal the views'. */
export async function expectPages(callers: Callers, jobs: number[]) {
  for (const job of jobs) {
    for (const who of ["admin", "north", "agency"] as const) {
      for (const [order, query] of [["ASC", ""], ["DESC", "&order[id]=desc"]] as const) {
        for (const status of [undefined, "passed", "failed"]) {
          const path = `processr-job-leads?campaignProcessrJob.id=${job}${status ? `&status=${status}` : ""}${query}`;
          const where = `v.campaign_processr_job_id = ${job}${status ? ` AND v.status = '${status}'` : ""}`;
          for (const page of [1, 2, 4]) await compare(callers, who, path, "processr_job_leads", where, order, page, 3);
        }
        for (const type of [undefined, "processr", "provider"]) {
          const path = `logs?campaignProcessrJob.id=${job}${type ? `&type=${type}` : ""}${query}`;
          const where = `v.campaign_processr_job_id = ${job}${type ? ` AND v.type = '${type}'` : ""}`;
          for (const page of [1, 3]) await compare(callers, who, path, "logs", where, order, page, 4);
        }
      }
    }
  }
}
