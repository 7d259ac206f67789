CREATE TABLE `campaign_processr_job_campaigns` (
	`campaign_processr_job_id` integer NOT NULL,
	`campaign_id` integer NOT NULL,
	PRIMARY KEY(`campaign_processr_job_id`, `campaign_id`)
);
--> statement-breakpoint
-- A job is on its campaign from its creation, and on each campaign it is moved to; the rows stay
-- when it moves again or is deleted (its results stay on those campaigns' leads).
CREATE TRIGGER `campaign_processr_jobs_campaign_kept` AFTER INSERT ON `campaign_processr_jobs` BEGIN
  INSERT OR IGNORE INTO `campaign_processr_job_campaigns` (`campaign_processr_job_id`, `campaign_id`) VALUES (NEW.`id`, NEW.`campaign_id`);
END;--> statement-breakpoint
CREATE TRIGGER `campaign_processr_jobs_campaign_kept_on_move` AFTER UPDATE OF `campaign_id` ON `campaign_processr_jobs` BEGIN
  INSERT OR IGNORE INTO `campaign_processr_job_campaigns` (`campaign_processr_job_id`, `campaign_id`) VALUES (NEW.`id`, NEW.`campaign_id`);
END;--> statement-breakpoint
-- The campaigns of the jobs there are, and those the results and logs already written show
-- (a move or delete before this migration): the campaigns of their leads.
INSERT OR IGNORE INTO `campaign_processr_job_campaigns` (`campaign_processr_job_id`, `campaign_id`)
  SELECT `id`, `campaign_id` FROM `campaign_processr_jobs`;--> statement-breakpoint
INSERT OR IGNORE INTO `campaign_processr_job_campaigns` (`campaign_processr_job_id`, `campaign_id`)
  SELECT DISTINCT r.`campaign_processr_job_id`, l.`campaign_id` FROM `job_results` r JOIN `leads` l ON l.`id` = r.`lead_id`;--> statement-breakpoint
INSERT OR IGNORE INTO `campaign_processr_job_campaigns` (`campaign_processr_job_id`, `campaign_id`)
  SELECT DISTINCT g.`campaign_processr_job_id`, l.`campaign_id` FROM `log_lines` g JOIN `leads` l ON l.`id` = g.`lead_id`
   WHERE g.`trail` IS NULL AND g.`campaign_processr_job_id` IS NOT NULL;--> statement-breakpoint
INSERT OR IGNORE INTO `campaign_processr_job_campaigns` (`campaign_processr_job_id`, `campaign_id`)
  SELECT DISTINCT CAST(t.`job_id` AS INTEGER), l.`campaign_id` FROM `trail_lines` t JOIN `leads` l ON l.`id` = t.`lead_id`
   WHERE t.`kind` IN ('j', 'J');
