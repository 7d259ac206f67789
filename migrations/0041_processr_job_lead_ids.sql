-- A lead's job-result ids alone (id, lead_id), for the pages that only link a lead's results
-- (GET /api/v4/leads: leadProcessrJobs): the rows of processr_job_leads, without the columns whose
-- expressions (scores, labels, texts, times) every statement reading that view compiles anew. The
-- same rows: job_results' rows, and the job lines ('J' compact, 'j' full) of each lead's latest run
-- that a reprocess did not clear, in both trail forms (src/processr/trail.ts). A change of the trail
-- format redefines this view with trail_lines and processr_job_leads.
CREATE VIEW `processr_job_lead_ids` AS
  SELECT `id`, `lead_id` FROM `job_results`
  UNION ALL
  SELECT r.`id` - json_array_length(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) + 1 + l.key, r.`lead_id`
    FROM `log_lines` r, json_each(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) l
   WHERE r.`trail` IS NOT NULL
     AND CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END IN ('j', 'J')
     AND NOT EXISTS (SELECT 1 FROM json_each(r.`trail`, '$.x') c WHERE c.value = l.key)
     AND r.`id` = (SELECT max(p.`id`) FROM `log_lines` p WHERE p.`lead_id` = r.`lead_id` AND p.`trail` IS NOT NULL);
