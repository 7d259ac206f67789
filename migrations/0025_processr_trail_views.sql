DROP TABLE `logs`;--> statement-breakpoint
DROP TABLE `processr_job_leads`;--> statement-breakpoint
-- One row per log line: log_lines' own rows, and each line of each Processr run's trail
-- (src/processr/trail.ts: ["j", job, status, score, maxScore, hardfail, startedMs, finishedMs,
-- level, label, message, detail] or ["m", level, atMs, message, context]).
CREATE VIEW `logs` AS
  SELECT `id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts`
    FROM `log_lines` WHERE `trail` IS NULL
  UNION ALL
  SELECT r.`id` - json_array_length(r.`trail`, '$.l') + 1 + l.key, 'processr', r.`lead_id`, r.`campaign_id`,
         CASE l.value ->> 0 WHEN 'j' THEN l.value ->> 1 END,
         CASE l.value ->> 0 WHEN 'j' THEN l.value ->> 8 ELSE l.value ->> 1 END,
         CASE l.value ->> 0 WHEN 'j' THEN (l.value ->> 9) || ': ' || (l.value ->> 2) || ' — ' || (l.value ->> 10) ELSE l.value ->> 3 END,
         CASE l.value ->> 0
           WHEN 'j' THEN json_object('status', l.value ->> 2, 'score', l.value ->> 3, 'maxScore', l.value ->> 4,
                                     'hardfail', json(iif(l.value ->> 5, 'true', 'false')), 'durationMs', (l.value ->> 7) - (l.value ->> 6))
           ELSE iif(json_type(l.value, '$[4]') = 'null', NULL, l.value -> '$[4]') END,
         (r.`trail` ->> '$.s') + CASE l.value ->> 0 WHEN 'j' THEN l.value ->> 7 ELSE l.value ->> 2 END
    FROM `log_lines` r, json_each(r.`trail`, '$.l') l
   WHERE r.`trail` IS NOT NULL;--> statement-breakpoint
-- One row per job result: job_results' rows, and the QA results of each lead's latest run (a
-- rerun replaces them, as the upsert on (lead, job) did), less those a reprocess cleared ($.x).
CREATE VIEW `processr_job_leads` AS
  SELECT `id`, `lead_id`, `campaign_processr_job_id`, `status`, `message`, `detail`, `score`, `started_ts`, `finished_ts`
    FROM `job_results`
  UNION ALL
  SELECT r.`id` - json_array_length(r.`trail`, '$.l') + 1 + l.key, r.`lead_id`, l.value ->> 1, l.value ->> 2, l.value ->> 10,
         l.value ->> 11, l.value ->> 3, (r.`trail` ->> '$.s') + (l.value ->> 6), (r.`trail` ->> '$.s') + (l.value ->> 7)
    FROM `log_lines` r, json_each(r.`trail`, '$.l') l
   WHERE r.`trail` IS NOT NULL AND l.value ->> 0 = 'j'
     AND r.`id` = (SELECT max(p.`id`) FROM `log_lines` p WHERE p.`lead_id` = r.`lead_id` AND p.`trail` IS NOT NULL)
     AND NOT EXISTS (SELECT 1 FROM json_each(r.`trail`, '$.x') c WHERE c.value = l.key);--> statement-breakpoint
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
