-- A queue batch's runs counted by the batch (src/processr/trail.ts, trailsStatements): the
-- Processr's insert of a batch's trails is followed by ONE upsert per job, publisher and kind for
-- all of them, instead of the trigger's upsert per job line of each run (5 rows written per lead
-- with five QA jobs). While processr_job_counts' row (0, 0, 'deferred') has n above 0 (set just
-- before that insert, cleared by the upsert after it, in the same D1 batch) the trigger leaves the
-- rows inserted to the batch's upsert; every other insert of a run (a restore, a test) is counted
-- by the trigger as before. No job has id 0, so no count reads that row. Nothing to backfill: the
-- counts of existing rows are unchanged.
DROP TRIGGER `processr_job_counts_trail_insert`;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_insert` AFTER INSERT ON `log_lines` WHEN NEW.`trail` IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM processr_job_counts WHERE campaign_processr_job_id = 0 AND publisher_id = 0 AND kind = 'deferred' AND n > 0) BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(NEW.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, 1 AS n FROM json_each(NEW.trail, iif(json_type(NEW.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), -1 FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id < NEW.id) AND NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:other', 1 FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id < NEW.id) AND NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;
