CREATE TABLE `job_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`campaign_processr_job_id` integer NOT NULL,
	`status` text NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`detail` text,
	`score` integer DEFAULT 0 NOT NULL,
	`started_ts` integer NOT NULL,
	`finished_ts` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_processr_job_id`) REFERENCES `campaign_processr_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_results_uq` ON `job_results` (`lead_id`,`campaign_processr_job_id`);--> statement-breakpoint
CREATE TABLE `log_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`lead_id` integer,
	`campaign_id` integer,
	`campaign_processr_job_id` integer,
	`level` text DEFAULT 'info' NOT NULL,
	`message` text NOT NULL,
	`context` text,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`trail` text,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `log_lines_lead_idx` ON `log_lines` (`lead_id`,`id`);--> statement-breakpoint
CREATE INDEX `log_lines_type_idx` ON `log_lines` (`type`,`id`);--> statement-breakpoint
-- Existing lines and results keep their ids.
INSERT INTO `log_lines` (`id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts`)
  SELECT `id`, `type`, `lead_id`, `campaign_id`, `campaign_processr_job_id`, `level`, `message`, `context`, `created_ts` FROM `logs`;--> statement-breakpoint
INSERT INTO `job_results` (`id`, `lead_id`, `campaign_processr_job_id`, `status`, `message`, `detail`, `score`, `started_ts`, `finished_ts`)
  SELECT `id`, `lead_id`, `campaign_processr_job_id`, `status`, `message`, `detail`, `score`, `started_ts`, `finished_ts` FROM `processr_job_leads`;--> statement-breakpoint
-- A run's job results take the ids of its log lines (src/processr/trail.ts): log_lines' sequence
-- starts above every job result kept, and job_results' own sequence at 2^40, far above it.
DELETE FROM sqlite_sequence WHERE `name` IN ('log_lines', 'job_results');--> statement-breakpoint
INSERT INTO sqlite_sequence (`name`, `seq`)
  SELECT 'log_lines', max(coalesce((SELECT max(`id`) FROM `log_lines`), 0), coalesce((SELECT max(`id`) FROM `job_results`), 0))
  UNION ALL SELECT 'job_results', max(1099511627776, coalesce((SELECT max(`id`) FROM `job_results`), 0));
