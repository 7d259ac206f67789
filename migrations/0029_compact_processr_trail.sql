CREATE TABLE `campaign_processr_job_labels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_processr_job_id` integer NOT NULL,
	`label` text NOT NULL,
	`until_log_id` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `campaign_processr_job_labels_job_idx` ON `campaign_processr_job_labels` (`campaign_processr_job_id`,`until_log_id`);--> statement-breakpoint
CREATE TABLE `trail_texts` (
	`id` integer PRIMARY KEY NOT NULL,
	`text` text NOT NULL
);
--> statement-breakpoint
-- The texts of src/processr/trail-texts.ts, under the same ids.
INSERT INTO `trail_texts` (`id`, `text`) VALUES
  (1, 'Processr run started: %s QA job(s).'),
  (2, 'The job is disabled.'),
  (3, 'Not run: the hardfail job %s failed.'),
  (4, 'Not run: job group %s chose %s for this lead (the first of its jobs whose conditions the lead meets).'),
  (5, 'All %s required fields have a value'),
  (6, 'Required value missing: %s'),
  (7, 'Passed duplicate check'),
  (8, 'Failed duplicate check'),
  (9, 'Email %s is unique in this campaign'),
  (10, 'Email %s is a duplicate of %s in this campaign'),
  (11, 'Email %s is unique from this publisher in this campaign'),
  (12, 'Email %s is a duplicate of %s from this publisher in this campaign'),
  (13, 'No test data found'),
  (14, 'No character repeated %s or more times in a row'),
  (15, 'First and last name differ'),
  (16, 'First or last name not captured, nothing to compare'),
  (17, 'First or last name not captured, nothing to measure'),
  (18, 'First and last name have %s characters together'),
  (19, '%s has a value'),
  (20, '%s has %s characters'),
  (21, 'No email captured, nothing to compare'),
  (22, 'No email captured, nothing to count'),
  (23, 'Passed user overactivity check'),
  (24, 'Failed user overactivity check'),
  (25, 'No profanity found'),
  (26, 'No value repeated in %s or more fields'),
  (27, '%s empty fields, fewer than %s'),
  (28, '%s short values, fewer than %s'),
  (29, 'No field has more than %s non-standard characters'),
  (30, 'Every checked field has a vowel'),
  (31, '%s looks like a telephone number'),
  (32, 'No telephone captured, nothing to check'),
  (33, 'No IP address recorded, nothing to compare'),
  (34, 'Nothing to check against the validation lists'),
  (35, 'Passed validation list check'),
  (36, 'Failed validation list check'),
  (37, 'Every value matched its value transform'),
  (38, '%s is within the period');--> statement-breakpoint
-- Compact Processr trails (src/processr/trail.ts, src/processr/trail-texts.ts): the texts a trail
-- names by id, and the labels jobs had before a rename or delete, so that a run keeps showing the
-- label its job had when the run was written.
CREATE TRIGGER `campaign_processr_jobs_label_kept` AFTER UPDATE OF `label` ON `campaign_processr_jobs` WHEN OLD.`label` IS NOT NEW.`label` BEGIN
  INSERT INTO `campaign_processr_job_labels` (`campaign_processr_job_id`, `label`, `until_log_id`)
  VALUES (OLD.`id`, OLD.`label`, coalesce((SELECT `seq` FROM sqlite_sequence WHERE `name` = 'log_lines'), 0));
END;--> statement-breakpoint
CREATE TRIGGER `campaign_processr_jobs_label_kept_on_delete` AFTER DELETE ON `campaign_processr_jobs` BEGIN
  INSERT INTO `campaign_processr_job_labels` (`campaign_processr_job_id`, `label`, `until_log_id`)
  VALUES (OLD.`id`, OLD.`label`, coalesce((SELECT `seq` FROM sqlite_sequence WHERE `name` = 'log_lines'), 0));
END;--> statement-breakpoint
DROP VIEW `logs`;--> statement-breakpoint
DROP VIEW `processr_job_leads`;--> statement-breakpoint
-- Every line of every trail, decoded: a full job line ["j", …], a compact one [job, code, …], a
-- message line ["m", …] or the outcome line ["o", …] (src/processr/trail.ts). A text is a
-- trail_texts id, [id, values…] filled in with printf, or the text itself. A compact job line's
-- label is its job's, or the one campaign_processr_job_labels kept when the run came before a
-- rename or delete.
CREATE VIEW `trail_lines` AS
  SELECT r.`id` - json_array_length(r.`trail`, '$.l') + 1 + l.key AS `id`, r.`id` AS `run_id`, l.key AS `line`,
         r.`lead_id`, r.`campaign_id`, l.value AS `v`, iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) AS `kind`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN l.value ->> 0 WHEN 'j' THEN l.value ->> 1 END AS `job_id`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END
                  WHEN 'j' THEN l.value ->> 2 END AS `status`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN CASE l.value ->> 1 WHEN 1 THEN 'warning' WHEN 3 THEN 'error' ELSE 'info' END
                  WHEN 'j' THEN l.value ->> 8 WHEN 'o' THEN 'info' ELSE l.value ->> 1 END AS `level`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN iif(l.value ->> 1 = 0, l.value ->> 2, 0) WHEN 'j' THEN l.value ->> 3 END AS `score`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN l.value ->> 2 WHEN 'j' THEN l.value ->> 4 END AS `max_score`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN l.value ->> 3 WHEN 'j' THEN l.value ->> 5 END AS `hardfail`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'j' THEN l.value ->> 9
                  WHEN 'J' THEN coalesce((SELECT h.`label` FROM `campaign_processr_job_labels` h
                                           WHERE h.`campaign_processr_job_id` = l.value ->> 0 AND h.`until_log_id` >= r.`id`
                                           ORDER BY h.`until_log_id` LIMIT 1),
                                         (SELECT j.`label` FROM `campaign_processr_jobs` j WHERE j.`id` = l.value ->> 0)) END AS `label`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'j' THEN l.value ->> 10
                  WHEN 'J' THEN CASE json_type(l.value, '$[6]') WHEN 'integer' THEN (SELECT x.`text` FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[6]') WHEN 'array' THEN (SELECT printf(x.`text`, l.value ->> '$[6][1]', l.value ->> '$[6][2]', l.value ->> '$[6][3]', l.value ->> '$[6][4]') FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[6][0]') ELSE l.value ->> '$[6]' END
                  WHEN 'm' THEN CASE json_type(l.value, '$[3]') WHEN 'integer' THEN (SELECT x.`text` FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[3]') WHEN 'array' THEN (SELECT printf(x.`text`, l.value ->> '$[3][1]', l.value ->> '$[3][2]', l.value ->> '$[3][3]', l.value ->> '$[3][4]') FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[3][0]') ELSE l.value ->> '$[3]' END END AS `message`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'j' THEN l.value ->> 11
                  WHEN 'J' THEN CASE json_type(l.value, '$[7]') WHEN 'integer' THEN (SELECT x.`text` FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[7]') WHEN 'array' THEN (SELECT printf(x.`text`, l.value ->> '$[7][1]', l.value ->> '$[7][2]', l.value ->> '$[7][3]', l.value ->> '$[7][4]') FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[7][0]') ELSE l.value ->> '$[7]' END END AS `detail`,
         CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'm' THEN iif(json_type(l.value, '$[4]') = 'null', NULL, l.value -> '$[4]') END AS `context`,
         (r.`trail` ->> '$.s') + CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN l.value ->> 4 WHEN 'j' THEN l.value ->> 6 END AS `started_ts`,
         (r.`trail` ->> '$.s') + CASE iif(json_type(l.value, '$[0]') = 'integer', 'J', l.value ->> 0) WHEN 'J' THEN l.value ->> 5 WHEN 'j' THEN l.value ->> 7 WHEN 'm' THEN l.value ->> 2 ELSE l.value ->> 1 END AS `created_ts`,
         EXISTS (SELECT 1 FROM json_each(r.`trail`, '$.x') c WHERE c.value = l.key) AS `cleared`
    FROM `log_lines` r, json_each(r.`trail`, '$.l') l
   WHERE r.`trail` IS NOT NULL;--> statement-breakpoint
-- One row per log line: log_lines' own rows, and each line of each Processr run's trail.
CREATE VIEW `logs` AS
  SELECT `id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts`
    FROM `log_lines` WHERE `trail` IS NULL
  UNION ALL
  SELECT e.`id`, 'processr', e.`lead_id`, e.`campaign_id`, e.`job_id`, e.`level`,
         CASE e.`kind`
           WHEN 'm' THEN e.`message`
           WHEN 'o' THEN 'Processr outcome: ' || (e.`v` ->> 2) || '. Score ' || (e.`v` ->> 3) || '/' || (e.`v` ->> 4) || iif(e.`v` ->> 5, ', hard fail', '') || '; ' ||
                         coalesce('failed: ' || (SELECT group_concat(f.`label`, ', ' ORDER BY f.`line`) FROM `trail_lines` f
                                                  WHERE f.`run_id` = e.`run_id` AND f.`line` < e.`line` AND f.`status` = 'failed'), 'all jobs passed') || '.'
           ELSE e.`label` || ': ' || e.`status` || ' — ' || e.`message` END,
         CASE e.`kind`
           WHEN 'm' THEN e.`context`
           WHEN 'o' THEN json_object('flag', e.`v` ->> 2, 'score', e.`v` ->> 3, 'maxScore', e.`v` ->> 4, 'hardfail', json(iif(e.`v` ->> 5, 'true', 'false')))
           ELSE json_object('status', e.`status`, 'score', e.`score`, 'maxScore', e.`max_score`, 'hardfail', json(iif(e.`hardfail`, 'true', 'false')),
                            'durationMs', e.`created_ts` - e.`started_ts`) END,
         e.`created_ts`
    FROM `trail_lines` e;--> statement-breakpoint
-- One row per job result: job_results' rows, and the QA results of each lead's latest run (a
-- rerun replaces them, as the upsert on (lead, job) did), less those a reprocess cleared ($.x).
CREATE VIEW `processr_job_leads` AS
  SELECT `id`, `lead_id`, `campaign_processr_job_id`, `status`, `message`, `detail`, `score`, `started_ts`, `finished_ts`
    FROM `job_results`
  UNION ALL
  SELECT e.`id`, e.`lead_id`, e.`job_id`, e.`status`, e.`message`, e.`detail`, e.`score`, e.`started_ts`, e.`created_ts`
    FROM `trail_lines` e
   WHERE e.`kind` IN ('j', 'J') AND NOT e.`cleared`
     AND e.`run_id` = (SELECT max(p.`id`) FROM `log_lines` p WHERE p.`lead_id` = e.`lead_id` AND p.`trail` IS NOT NULL);--> statement-breakpoint
CREATE TRIGGER `logs_insert` INSTEAD OF INSERT ON `logs` BEGIN
  INSERT INTO `log_lines` (`id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts`)
  VALUES (NEW.`id`, NEW.`type`, NEW.`lead_id`, NEW.`campaign_id`, NEW.`campaign_processr_job_id`, coalesce(NEW.`level`, 'info'),
          NEW.`message`, NEW.`context`, coalesce(NEW.`created_ts`, unixepoch('subsec') * 1000));
END;--> statement-breakpoint
-- A run's lines go together: deleting one deletes its run's row.
CREATE TRIGGER `logs_delete` INSTEAD OF DELETE ON `logs` BEGIN
  DELETE FROM `log_lines` WHERE `id` = OLD.`id` AND `trail` IS NULL;
  DELETE FROM `log_lines`
   WHERE `trail` IS NOT NULL AND `lead_id` IS OLD.`lead_id` AND OLD.`id` BETWEEN `id` - json_array_length(`trail`, '$.l') + 1 AND `id`;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_leads_insert` INSTEAD OF INSERT ON `processr_job_leads` BEGIN
  INSERT INTO `job_results` (`id`, `lead_id`, `campaign_processr_job_id`, `status`, `message`, `detail`, `score`, `started_ts`, `finished_ts`)
  VALUES (NEW.`id`, NEW.`lead_id`, NEW.`campaign_processr_job_id`, NEW.`status`, coalesce(NEW.`message`, ''), NEW.`detail`,
          coalesce(NEW.`score`, 0), NEW.`started_ts`, NEW.`finished_ts`);
END;--> statement-breakpoint
-- A result from a trail is cleared, not deleted: the run's log lines stay.
CREATE TRIGGER `processr_job_leads_delete` INSTEAD OF DELETE ON `processr_job_leads` BEGIN
  DELETE FROM `job_results` WHERE `id` = OLD.`id` AND `lead_id` = OLD.`lead_id`;
  UPDATE `log_lines`
     SET `trail` = json_set(`trail`, '$.x', json_insert(coalesce(`trail` -> '$.x', '[]'), '$[#]', OLD.`id` - (`id` - json_array_length(`trail`, '$.l') + 1)))
   WHERE `trail` IS NOT NULL AND `lead_id` = OLD.`lead_id` AND OLD.`id` BETWEEN `id` - json_array_length(`trail`, '$.l') + 1 AND `id`;
END;
--> statement-breakpoint
-- Lines and results of their own rows can be updated; a run's trail is written once.
CREATE TRIGGER `logs_update` INSTEAD OF UPDATE ON `logs` BEGIN
  SELECT RAISE(ABORT, 'The log lines of a Processr run are kept in its trail and are not updated one by one.')
   WHERE NOT EXISTS (SELECT 1 FROM `log_lines` WHERE `id` = OLD.`id` AND `trail` IS NULL);
  UPDATE `log_lines`
     SET `type` = NEW.`type`, `lead_id` = NEW.`lead_id`, `campaign_id` = NEW.`campaign_id`, `campaign_processr_job_id` = NEW.`campaign_processr_job_id`,
         `level` = NEW.`level`, `message` = NEW.`message`, `context` = NEW.`context`, `created_ts` = NEW.`created_ts`
   WHERE `id` = OLD.`id`;
END;--> statement-breakpoint
CREATE TRIGGER `processr_job_leads_update` INSTEAD OF UPDATE ON `processr_job_leads` BEGIN
  SELECT RAISE(ABORT, 'The job results of a Processr run are kept in its trail and are not updated one by one.')
   WHERE NOT EXISTS (SELECT 1 FROM `job_results` WHERE `id` = OLD.`id` AND `lead_id` = OLD.`lead_id`);
  UPDATE `job_results`
     SET `lead_id` = NEW.`lead_id`, `campaign_processr_job_id` = NEW.`campaign_processr_job_id`, `status` = NEW.`status`, `message` = NEW.`message`,
         `detail` = NEW.`detail`, `score` = NEW.`score`, `started_ts` = NEW.`started_ts`, `finished_ts` = NEW.`finished_ts`
   WHERE `id` = OLD.`id` AND `lead_id` = OLD.`lead_id`;
END;
