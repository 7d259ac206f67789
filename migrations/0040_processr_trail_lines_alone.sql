-- Processr trails in a shorter form (issue 18, src/processr/trail.ts): a run's lines alone, a JSON
-- array whose times count from the row's created_ts (the run's start), {l, x} once a reprocess
-- cleared results; the start line "Processr run started: n QA job(s)." as the number n; the outcome
-- line without score, maxScore and hardfail when they are what its job lines add up to. Trails
-- written before ({s, l, x?}, full outcome lines, full start lines) read as they did. The views and
-- triggers that read a trail's lines or count them are redefined for both forms.
DROP VIEW `logs`;--> statement-breakpoint
DROP VIEW `trail_lines`;--> statement-breakpoint
CREATE VIEW `trail_lines` AS
  SELECT r.`id` - json_array_length(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) + 1 + l.key AS `id`, r.`id` AS `run_id`, l.key AS `line`,
         r.`lead_id`, r.`campaign_id`, l.value AS `v`, CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END AS `kind`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN l.value ->> 0 WHEN 'j' THEN l.value ->> 1 END AS `job_id`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN CASE l.value ->> 1 WHEN 0 THEN 'passed' WHEN 2 THEN 'not_run' ELSE 'failed' END
                  WHEN 'j' THEN l.value ->> 2 END AS `status`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN CASE l.value ->> 1 WHEN 1 THEN 'warning' WHEN 3 THEN 'error' ELSE 'info' END
                  WHEN 'j' THEN l.value ->> 8 WHEN 'o' THEN 'info' ELSE iif(l.type = 'integer', 'info', l.value ->> 1) END AS `level`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN iif(l.value ->> 1 = 0, l.value ->> 2, 0) WHEN 'j' THEN l.value ->> 3
                  WHEN 'o' THEN iif(json_array_length(l.value) = 3, (SELECT coalesce(sum(iif(iif(json_type(f.value, '$[0]') = 'integer', f.value ->> 1 = 0, f.value ->> 0 = 'j' AND f.value ->> 2 = 'passed'), iif(json_type(f.value, '$[0]') = 'integer', f.value ->> 2, iif(f.value ->> 0 = 'j', f.value ->> 4, 0)), 0)), 0) FROM json_each(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) f WHERE f.key < l.key AND f.type = 'array'), l.value ->> 3) END AS `score`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN l.value ->> 2 WHEN 'j' THEN l.value ->> 4
                  WHEN 'o' THEN iif(json_array_length(l.value) = 3, (SELECT coalesce(sum(iif(iif(json_type(f.value, '$[0]') = 'integer', f.value ->> 1 <> 2, f.value ->> 0 = 'j' AND f.value ->> 2 <> 'not_run'), iif(json_type(f.value, '$[0]') = 'integer', f.value ->> 2, iif(f.value ->> 0 = 'j', f.value ->> 4, 0)), 0)), 0) FROM json_each(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) f WHERE f.key < l.key AND f.type = 'array'), l.value ->> 4) END AS `max_score`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN l.value ->> 3 WHEN 'j' THEN l.value ->> 5
                  WHEN 'o' THEN iif(json_array_length(l.value) = 3, (SELECT coalesce(max(iif(json_type(f.value, '$[0]') = 'integer', f.value ->> 1 IN (1, 3) AND f.value ->> 3, f.value ->> 0 = 'j' AND f.value ->> 2 = 'failed' AND f.value ->> 5)), 0) FROM json_each(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) f WHERE f.key < l.key AND f.type = 'array'), l.value ->> 5) END AS `hardfail`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'j' THEN l.value ->> 9
                  WHEN 'J' THEN coalesce((SELECT h.`label` FROM `campaign_processr_job_labels` h
                                           WHERE h.`campaign_processr_job_id` = l.value ->> 0 AND h.`until_log_id` >= r.`id`
                                           ORDER BY h.`until_log_id` LIMIT 1),
                                         (SELECT j.`label` FROM `campaign_processr_jobs` j WHERE j.`id` = l.value ->> 0)) END AS `label`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'j' THEN l.value ->> 10
                  WHEN 'J' THEN CASE json_type(l.value, '$[6]') WHEN 'integer' THEN (SELECT x.`text` FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[6]') WHEN 'array' THEN (SELECT printf(x.`text`, l.value ->> '$[6][1]', l.value ->> '$[6][2]', l.value ->> '$[6][3]', l.value ->> '$[6][4]') FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[6][0]') ELSE l.value ->> '$[6]' END
                  WHEN 'm' THEN iif(l.type = 'integer', (SELECT printf(x.`text`, l.value) FROM `trail_texts` x WHERE x.`id` = 1), CASE json_type(l.value, '$[3]') WHEN 'integer' THEN (SELECT x.`text` FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[3]') WHEN 'array' THEN (SELECT printf(x.`text`, l.value ->> '$[3][1]', l.value ->> '$[3][2]', l.value ->> '$[3][3]', l.value ->> '$[3][4]') FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[3][0]') ELSE l.value ->> '$[3]' END) END AS `message`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'j' THEN l.value ->> 11
                  WHEN 'J' THEN CASE json_type(l.value, '$[7]') WHEN 'integer' THEN (SELECT x.`text` FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[7]') WHEN 'array' THEN (SELECT printf(x.`text`, l.value ->> '$[7][1]', l.value ->> '$[7][2]', l.value ->> '$[7][3]', l.value ->> '$[7][4]') FROM `trail_texts` x WHERE x.`id` = l.value ->> '$[7][0]') ELSE l.value ->> '$[7]' END END AS `detail`,
         CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'm' THEN iif(l.type = 'integer' OR json_type(l.value, '$[4]') = 'null', NULL, l.value -> '$[4]') END AS `context`,
         coalesce(r.`trail` ->> '$.s', r.`created_ts`) + CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN l.value ->> 4 WHEN 'j' THEN l.value ->> 6 END AS `started_ts`,
         coalesce(r.`trail` ->> '$.s', r.`created_ts`) + CASE CASE WHEN l.type = 'integer' THEN 'm' WHEN json_type(l.value, '$[0]') = 'integer' THEN 'J' ELSE l.value ->> 0 END WHEN 'J' THEN l.value ->> 5 WHEN 'j' THEN l.value ->> 7 WHEN 'm' THEN iif(l.type = 'integer', 0, l.value ->> 2) ELSE l.value ->> 1 END AS `created_ts`,
         EXISTS (SELECT 1 FROM json_each(r.`trail`, '$.x') c WHERE c.value = l.key) AS `cleared`
    FROM `log_lines` r, json_each(r.`trail`, iif(json_type(r.`trail`) = 'array', '$', '$.l')) l
   WHERE r.`trail` IS NOT NULL;--> statement-breakpoint
-- One row per log line: log_lines' own rows, and each line of each Processr run's trail (an
-- outcome line's score, maxScore and hardfail from trail_lines, stored or added up).
CREATE VIEW `logs` AS
  SELECT `id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts`
    FROM `log_lines` WHERE `trail` IS NULL
  UNION ALL
  SELECT e.`id`, 'processr', e.`lead_id`, e.`campaign_id`, e.`job_id`, e.`level`,
         CASE e.`kind`
           WHEN 'm' THEN e.`message`
           WHEN 'o' THEN 'Processr outcome: ' || (e.`v` ->> 2) || '. Score ' || e.`score` || '/' || e.`max_score` || iif(e.`hardfail`, ', hard fail', '') || '; ' ||
                         coalesce('failed: ' || (SELECT group_concat(f.`label`, ', ' ORDER BY f.`line`) FROM `trail_lines` f
                                                  WHERE f.`run_id` = e.`run_id` AND f.`line` < e.`line` AND f.`status` = 'failed'), 'all jobs passed') || '.'
           ELSE e.`label` || ': ' || e.`status` || ' — ' || e.`message` END,
         CASE e.`kind`
           WHEN 'm' THEN e.`context`
           WHEN 'o' THEN json_object('flag', e.`v` ->> 2, 'score', e.`score`, 'maxScore', e.`max_score`, 'hardfail', json(iif(e.`hardfail`, 'true', 'false')))
           ELSE json_object('status', e.`status`, 'score', e.`score`, 'maxScore', e.`max_score`, 'hardfail', json(iif(e.`hardfail`, 'true', 'false')),
                            'durationMs', e.`created_ts` - e.`started_ts`) END,
         e.`created_ts`
    FROM `trail_lines` e;--> statement-breakpoint
CREATE TRIGGER `logs_insert` INSTEAD OF INSERT ON `logs` BEGIN
  INSERT INTO `log_lines` (`id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts`)
  VALUES (NEW.`id`, NEW.`type`, NEW.`lead_id`, NEW.`campaign_id`, NEW.`campaign_processr_job_id`, coalesce(NEW.`level`, 'info'),
          NEW.`message`, NEW.`context`, coalesce(NEW.`created_ts`, unixepoch('subsec') * 1000));
END;--> statement-breakpoint
-- A run's lines go together: deleting one deletes its run's row.
CREATE TRIGGER `logs_delete` INSTEAD OF DELETE ON `logs` BEGIN
  DELETE FROM `log_lines` WHERE `id` = OLD.`id` AND `trail` IS NULL;
  DELETE FROM `log_lines`
   WHERE `trail` IS NOT NULL AND `lead_id` IS OLD.`lead_id`
     AND OLD.`id` BETWEEN `id` - json_array_length(`trail`, iif(json_type(`trail`) = 'array', '$', '$.l')) + 1 AND `id`;
END;--> statement-breakpoint
-- Lines and results of their own rows can be updated; a run's trail is written once.
CREATE TRIGGER `logs_update` INSTEAD OF UPDATE ON `logs` BEGIN
  SELECT RAISE(ABORT, 'The log lines of a Processr run are kept in its trail and are not updated one by one.')
   WHERE NOT EXISTS (SELECT 1 FROM `log_lines` WHERE `id` = OLD.`id` AND `trail` IS NULL);
  UPDATE `log_lines`
     SET `type` = NEW.`type`, `lead_id` = NEW.`lead_id`, `campaign_id` = NEW.`campaign_id`, `campaign_processr_job_id` = NEW.`campaign_processr_job_id`,
         `level` = NEW.`level`, `message` = NEW.`message`, `context` = NEW.`context`, `created_ts` = NEW.`created_ts`
   WHERE `id` = OLD.`id`;
END;--> statement-breakpoint
-- A result from a trail is cleared, not deleted: the run's log lines stay. A trail of lines alone
-- becomes {l, x}.
DROP TRIGGER `processr_job_leads_delete`;--> statement-breakpoint
CREATE TRIGGER `processr_job_leads_delete` INSTEAD OF DELETE ON `processr_job_leads` BEGIN
  DELETE FROM `job_results` WHERE `id` = OLD.`id` AND `lead_id` = OLD.`lead_id`;
  UPDATE `log_lines`
     SET `trail` = json_set(iif(json_type(`trail`) = 'array', json_object('l', json(`trail`)), `trail`), '$.x',
                            json_insert(coalesce(`trail` -> '$.x', '[]'), '$[#]',
                                        OLD.`id` - (`id` - json_array_length(`trail`, iif(json_type(`trail`) = 'array', '$', '$.l')) + 1)))
   WHERE `trail` IS NOT NULL AND `lead_id` = OLD.`lead_id`
     AND OLD.`id` BETWEEN `id` - json_array_length(`trail`, iif(json_type(`trail`) = 'array', '$', '$.l')) + 1 AND `id`;
END;
