-- Where a job's lines of each kind lie: processr_job_counts' first_run and last_run bound the ids
-- of the runs (log_lines rows with a trail) holding the lines counted in its row, so that the walk
-- of a job's results or logs (src/routes/v4/processr-job-leads.ts) starts at the first run that can
-- hold one and stops after the last, instead of reading every run of the campaign before a job
-- added late, or between a rare status's lines. Bounds only widen: lines that leave a kind leave
-- them as they were, which still hold every line that stays. Null: not known (a row from before
-- this migration, backfilled below, or a kind that is not a trail's), and a null bound stays null.
-- Every trigger that adds trail lines to a row widens its bounds by their runs in the same upsert
-- (no more rows written); the queue batch's upsert (src/processr/trail.ts) likewise.
ALTER TABLE `processr_job_counts` ADD `first_run` integer;--> statement-breakpoint
ALTER TABLE `processr_job_counts` ADD `last_run` integer;--> statement-breakpoint
DROP TRIGGER `processr_job_counts_trail_insert`;--> statement-breakpoint
DROP TRIGGER `processr_job_counts_trail_update`;--> statement-breakpoint
DROP TRIGGER `processr_job_counts_trail_delete`;--> statement-breakpoint
DROP TRIGGER `processr_job_counts_lead_update`;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_insert` AFTER INSERT ON `log_lines` WHEN NEW.`trail` IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM processr_job_counts WHERE campaign_processr_job_id = 0 AND publisher_id = 0 AND kind = 'deferred' AND n > 0) BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n), min(iif(d.n > 0, d.run, NULL)), max(iif(d.n > 0, d.run, NULL)) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(NEW.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, 1 AS n, NEW.id AS run FROM json_each(NEW.trail, iif(json_type(NEW.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), -1, q.id FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id < NEW.id) AND NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:other', 1, q.id FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id < NEW.id) AND NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0 OR max(d.n) > 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
    first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
    last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))
   WHERE excluded.n <> 0 OR excluded.first_run < first_run OR excluded.last_run > last_run;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_update` AFTER UPDATE OF `trail` ON `log_lines` WHEN OLD.`trail` IS NOT NULL AND NEW.`trail` IS NOT NULL AND OLD.`trail` IS NOT NEW.`trail` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n), min(iif(d.n > 0, d.run, NULL)), max(iif(d.n > 0, d.run, NULL)) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(OLD.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n, NEW.id AS run FROM json_each(OLD.trail, iif(json_type(OLD.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(NEW.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other'), 1, NEW.id FROM json_each(NEW.trail, iif(json_type(NEW.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0 OR max(d.n) > 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
    first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
    last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))
   WHERE excluded.n <> 0 OR excluded.first_run < first_run OR excluded.last_run > last_run;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_delete` AFTER DELETE ON `log_lines` WHEN OLD.`trail` IS NOT NULL BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n), min(iif(d.n > 0, d.run, NULL)), max(iif(d.n > 0, d.run, NULL)) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = OLD.lead_id AND p.trail IS NOT NULL AND p.id > OLD.id) AND NOT EXISTS (SELECT 1 FROM json_each(OLD.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n, OLD.id AS run FROM json_each(OLD.trail, iif(json_type(OLD.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 1, q.id FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = OLD.lead_id AND p.trail IS NOT NULL) AND q.id < OLD.id AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:other', -1, q.id FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = OLD.lead_id AND p.trail IS NOT NULL) AND q.id < OLD.id AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL) IS NOT NULL
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0 OR max(d.n) > 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
    first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
    last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))
   WHERE excluded.n <> 0 OR excluded.first_run < first_run OR excluded.last_run > last_run;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_lead_update` AFTER UPDATE OF `deleted_ts`, `publisher_id` ON `leads` WHEN (OLD.`deleted_ts` IS NULL) IS NOT (NEW.`deleted_ts` IS NULL) OR OLD.`publisher_id` IS NOT NEW.`publisher_id` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
  SELECT d.job, iif(OLD.deleted_ts IS NULL, OLD.publisher_id, NULL), d.kind, sum(d.n), min(iif(d.n > 0, d.run, NULL)), max(iif(d.n > 0, d.run, NULL)) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = r.lead_id AND p.trail IS NOT NULL AND p.id > r.id) AND NOT EXISTS (SELECT 1 FROM json_each(r.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n, r.id AS run FROM log_lines r, json_each(r.trail, iif(json_type(r.trail) = 'array', '$', '$.l')) l WHERE r.lead_id = NEW.id AND r.trail IS NOT NULL AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT campaign_processr_job_id, 'result:' || status, -1, NULL FROM job_results WHERE lead_id = NEW.id
    UNION ALL SELECT campaign_processr_job_id, 'log:' || type, -1, NULL FROM log_lines WHERE lead_id = NEW.id AND trail IS NULL AND campaign_processr_job_id IS NOT NULL) d WHERE iif(OLD.deleted_ts IS NULL, OLD.publisher_id, NULL) IS NOT NULL
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0 OR max(d.n) > 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
    first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
    last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))
   WHERE excluded.n <> 0 OR excluded.first_run < first_run OR excluded.last_run > last_run;
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n, first_run, last_run)
  SELECT d.job, iif(NEW.deleted_ts IS NULL, NEW.publisher_id, NULL), d.kind, sum(d.n), min(iif(d.n > 0, d.run, NULL)), max(iif(d.n > 0, d.run, NULL)) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = r.lead_id AND p.trail IS NOT NULL AND p.id > r.id) AND NOT EXISTS (SELECT 1 FROM json_each(r.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, 1 AS n, r.id AS run FROM log_lines r, json_each(r.trail, iif(json_type(r.trail) = 'array', '$', '$.l')) l WHERE r.lead_id = NEW.id AND r.trail IS NOT NULL AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT campaign_processr_job_id, 'result:' || status, 1, NULL FROM job_results WHERE lead_id = NEW.id
    UNION ALL SELECT campaign_processr_job_id, 'log:' || type, 1, NULL FROM log_lines WHERE lead_id = NEW.id AND trail IS NULL AND campaign_processr_job_id IS NOT NULL) d WHERE iif(NEW.deleted_ts IS NULL, NEW.publisher_id, NULL) IS NOT NULL
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0 OR max(d.n) > 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n,
    first_run = iif(excluded.first_run IS NULL, first_run, min(first_run, excluded.first_run)),
    last_run = iif(excluded.last_run IS NULL, last_run, max(last_run, excluded.last_run))
   WHERE excluded.n <> 0 OR excluded.first_run < first_run OR excluded.last_run > last_run;
END;--> statement-breakpoint
-- The bounds of existing rows, from their lines (an empty interval for a row with none left).
UPDATE processr_job_counts SET first_run = 9223372036854775807, last_run = 0 WHERE kind LIKE 'trail:%' AND campaign_processr_job_id <> 0;--> statement-breakpoint
UPDATE processr_job_counts SET first_run = b.lo, last_run = b.hi FROM (
  SELECT job, publisher_id, kind, min(run) AS lo, max(run) AS hi FROM (
    SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, v.publisher_id, iif(r.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = r.lead_id AND p.trail IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM json_each(r.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, r.id AS run
      FROM leads v JOIN log_lines r ON r.lead_id = v.id AND r.trail IS NOT NULL, json_each(r.trail, iif(json_type(r.trail) = 'array', '$', '$.l')) l WHERE v.deleted_ts IS NULL AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
  ) GROUP BY job, publisher_id, kind
) b WHERE processr_job_counts.campaign_processr_job_id = b.job AND processr_job_counts.publisher_id = b.publisher_id AND processr_job_counts.kind = b.kind;
