-- A job's results and logs by job at scale: processr_job_counts (src/db/schema.ts) holds how many
-- results and log lines each job has on each publisher's live leads, by kind, so that
-- hydra:totalItems of /api/v4/processr-job-leads and /api/v4/logs by job is a sum of a few rows
-- instead of a count over every trail of the job's campaigns (linear in their leads: 20 s at a
-- million). Triggers keep it on every path that writes, clears or deletes a trail, a job result or a
-- log line with a job, or deletes, restores or moves a lead: a run's job lines count as results
-- (trail:<status>) while the run is its lead's latest and the line is not cleared, as other lines
-- (trail:other) otherwise. The indexes let a page by job walk its rows in id order and stop.
CREATE TABLE `processr_job_counts` (
	`campaign_processr_job_id` integer NOT NULL,
	`publisher_id` integer NOT NULL,
	`kind` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_processr_job_id`, `publisher_id`, `kind`)
);
--> statement-breakpoint
-- What the Worker still has to backfill (src/maintenance/backfills.ts): see the end of this file.
CREATE TABLE IF NOT EXISTS `backfills` (
	`name` text PRIMARY KEY NOT NULL,
	`next_id` integer NOT NULL,
	`last_id` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `job_results_job_idx` ON `job_results` (`campaign_processr_job_id`,`id`);--> statement-breakpoint
CREATE INDEX `log_lines_campaign_trail_idx` ON `log_lines` (`campaign_id`,`id`) WHERE trail IS NOT NULL;--> statement-breakpoint
CREATE INDEX `log_lines_job_idx` ON `log_lines` (`campaign_processr_job_id`,`id`) WHERE trail IS NULL AND campaign_processr_job_id IS NOT NULL;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_insert` AFTER INSERT ON `log_lines` WHEN NEW.`trail` IS NOT NULL BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(NEW.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, 1 AS n FROM json_each(NEW.trail, iif(json_type(NEW.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), -1 FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id < NEW.id) AND NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:other', 1 FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id < NEW.id) AND NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_update` AFTER UPDATE OF `trail` ON `log_lines` WHEN OLD.`trail` IS NOT NULL AND NEW.`trail` IS NOT NULL AND OLD.`trail` IS NOT NEW.`trail` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(OLD.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n FROM json_each(OLD.trail, iif(json_type(OLD.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = NEW.lead_id AND p.trail IS NOT NULL AND p.id > NEW.id) AND NOT EXISTS (SELECT 1 FROM json_each(NEW.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, 1 AS n FROM json_each(NEW.trail, iif(json_type(NEW.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_trail_delete` AFTER DELETE ON `log_lines` WHEN OLD.`trail` IS NOT NULL BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = OLD.lead_id AND p.trail IS NOT NULL AND p.id > OLD.id) AND NOT EXISTS (SELECT 1 FROM json_each(OLD.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n FROM json_each(OLD.trail, iif(json_type(OLD.trail) = 'array', '$', '$.l')) l WHERE CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 1 FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = OLD.lead_id AND p.trail IS NOT NULL) AND q.id < OLD.id AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)
    UNION ALL SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1), 'trail:other', -1 FROM log_lines q, json_each(q.trail, iif(json_type(q.trail) = 'array', '$', '$.l')) l WHERE q.id = (SELECT max(p.id) FROM log_lines p WHERE p.lead_id = OLD.lead_id AND p.trail IS NOT NULL) AND q.id < OLD.id AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END AND NOT EXISTS (SELECT 1 FROM json_each(q.trail, '$.x') c WHERE c.value = l.key)) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_log_insert` AFTER INSERT ON `log_lines` WHEN NEW.`trail` IS NULL AND NEW.`campaign_processr_job_id` IS NOT NULL BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, iif(NEW.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL)), d.kind, sum(d.n) FROM (SELECT NEW.campaign_processr_job_id AS job, 'log:' || NEW.type AS kind, 1 AS n WHERE NEW.campaign_processr_job_id IS NOT NULL) d WHERE iif(NEW.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL)) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_log_delete` AFTER DELETE ON `log_lines` WHEN OLD.`trail` IS NULL AND OLD.`campaign_processr_job_id` IS NOT NULL BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, iif(OLD.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL)), d.kind, sum(d.n) FROM (SELECT OLD.campaign_processr_job_id AS job, 'log:' || OLD.type AS kind, -1 AS n WHERE OLD.campaign_processr_job_id IS NOT NULL) d WHERE iif(OLD.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL)) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_log_update` AFTER UPDATE ON `log_lines` WHEN OLD.`trail` IS NULL AND NEW.`trail` IS NULL AND (OLD.`campaign_processr_job_id` IS NOT NEW.`campaign_processr_job_id` OR OLD.`type` IS NOT NEW.`type` OR OLD.`lead_id` IS NOT NEW.`lead_id`) BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, iif(OLD.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL)), d.kind, sum(d.n) FROM (SELECT OLD.campaign_processr_job_id AS job, 'log:' || OLD.type AS kind, -1 AS n WHERE OLD.campaign_processr_job_id IS NOT NULL) d WHERE iif(OLD.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL)) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, iif(NEW.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL)), d.kind, sum(d.n) FROM (SELECT NEW.campaign_processr_job_id AS job, 'log:' || NEW.type AS kind, 1 AS n WHERE NEW.campaign_processr_job_id IS NOT NULL) d WHERE iif(NEW.lead_id IS NULL, 0, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL)) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_result_insert` AFTER INSERT ON `job_results` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT NEW.campaign_processr_job_id AS job, 'result:' || NEW.status AS kind, 1 AS n) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_result_delete` AFTER DELETE ON `job_results` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT OLD.campaign_processr_job_id AS job, 'result:' || OLD.status AS kind, -1 AS n) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_result_update` AFTER UPDATE ON `job_results` WHEN OLD.`campaign_processr_job_id` IS NOT NEW.`campaign_processr_job_id` OR OLD.`status` IS NOT NEW.`status` OR OLD.`lead_id` IS NOT NEW.`lead_id` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT OLD.campaign_processr_job_id AS job, 'result:' || OLD.status AS kind, -1 AS n) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = OLD.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL), d.kind, sum(d.n) FROM (SELECT NEW.campaign_processr_job_id AS job, 'result:' || NEW.status AS kind, 1 AS n) d WHERE (SELECT v.publisher_id FROM leads v WHERE v.id = NEW.lead_id AND v.deleted_ts IS NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.lead_id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_lead_update` AFTER UPDATE OF `deleted_ts`, `publisher_id` ON `leads` WHEN (OLD.`deleted_ts` IS NULL) IS NOT (NEW.`deleted_ts` IS NULL) OR OLD.`publisher_id` IS NOT NEW.`publisher_id` BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, iif(OLD.deleted_ts IS NULL, OLD.publisher_id, NULL), d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = r.lead_id AND p.trail IS NOT NULL AND p.id > r.id) AND NOT EXISTS (SELECT 1 FROM json_each(r.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n FROM log_lines r, json_each(r.trail, iif(json_type(r.trail) = 'array', '$', '$.l')) l WHERE r.lead_id = NEW.id AND r.trail IS NOT NULL AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT campaign_processr_job_id, 'result:' || status, -1 FROM job_results WHERE lead_id = NEW.id
    UNION ALL SELECT campaign_processr_job_id, 'log:' || type, -1 FROM log_lines WHERE lead_id = NEW.id AND trail IS NULL AND campaign_processr_job_id IS NOT NULL) d WHERE iif(OLD.deleted_ts IS NULL, OLD.publisher_id, NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, iif(NEW.deleted_ts IS NULL, NEW.publisher_id, NULL), d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = r.lead_id AND p.trail IS NOT NULL AND p.id > r.id) AND NOT EXISTS (SELECT 1 FROM json_each(r.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, 1 AS n FROM log_lines r, json_each(r.trail, iif(json_type(r.trail) = 'array', '$', '$.l')) l WHERE r.lead_id = NEW.id AND r.trail IS NOT NULL AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT campaign_processr_job_id, 'result:' || status, 1 FROM job_results WHERE lead_id = NEW.id
    UNION ALL SELECT campaign_processr_job_id, 'log:' || type, 1 FROM log_lines WHERE lead_id = NEW.id AND trail IS NULL AND campaign_processr_job_id IS NOT NULL) d WHERE iif(NEW.deleted_ts IS NULL, NEW.publisher_id, NULL) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(NEW.id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_counts_lead_delete` AFTER DELETE ON `leads` WHEN OLD.`deleted_ts` IS NULL BEGIN
  INSERT INTO processr_job_counts (campaign_processr_job_id, publisher_id, kind, n)
  SELECT d.job, OLD.publisher_id, d.kind, sum(d.n) FROM (SELECT iif(json_type(l.value, '$[0]') = 'integer', l.value ->> 0, l.value ->> 1) AS job, iif(NOT EXISTS (SELECT 1 FROM log_lines p WHERE p.lead_id = r.lead_id AND p.trail IS NOT NULL AND p.id > r.id) AND NOT EXISTS (SELECT 1 FROM json_each(r.trail, '$.x') c WHERE c.value = l.key), 'trail:' || iif(json_type(l.value, '$[0]') = 'integer', CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END, l.value ->> 2), 'trail:other') AS kind, -1 AS n FROM log_lines r, json_each(r.trail, iif(json_type(r.trail) = 'array', '$', '$.l')) l WHERE r.lead_id = OLD.id AND r.trail IS NOT NULL AND CASE WHEN l.type = 'array' THEN json_type(l.value, '$[0]') = 'integer' OR l.value ->> 0 = 'j' ELSE 0 END
    UNION ALL SELECT campaign_processr_job_id, 'result:' || status, -1 FROM job_results WHERE lead_id = OLD.id
    UNION ALL SELECT campaign_processr_job_id, 'log:' || type, -1 FROM log_lines WHERE lead_id = OLD.id AND trail IS NULL AND campaign_processr_job_id IS NOT NULL) d WHERE OLD.publisher_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM backfills b WHERE b.name = 'processr_job_counts' AND coalesce(OLD.id, 0) BETWEEN b.next_id AND b.last_id)
   GROUP BY d.job, d.kind HAVING sum(d.n) <> 0
  ON CONFLICT (campaign_processr_job_id, publisher_id, kind) DO UPDATE SET n = n + excluded.n;
END;--> statement-breakpoint
-- The rows that exist now are counted by the Worker (src/maintenance/backfills.ts), a range of lead
-- ids per statement from the cron, not here: one statement over every run outlasts D1's 30 s at a
-- million leads. Until the range holding a lead is done the triggers above leave that lead alone
-- (its row in backfills), so each line is counted once, by the range or by a trigger.
INSERT INTO backfills (name, next_id, last_id)
  SELECT 'processr_job_counts', 0, coalesce((SELECT max(id) FROM leads), 0)
   WHERE EXISTS (SELECT 1 FROM leads) OR EXISTS (SELECT 1 FROM log_lines);
